// One game as the wire describes it (Hello, LibrarySnapshot, LibraryDelta): the protocol's own
// schema. The library's GameSummary has the same fields, so the library hands its summaries
// over as they are and the compiler checks the match (test/protocol/game-summary.test.ts).
import {z} from 'zod'
import {GameIdSchema, HashSchema} from './fields.js'

export const WireAvailabilitySchema = z.enum(['ready', 'downloading', 'local_only'])

export const WireGameSummarySchema = z.object({
  id: GameIdSchema,
  name: z.string(),
  eti_version: z.string().nullable(),
  size: z.number().int().nonnegative(),
  downloaded: z.boolean(),
  installed: z.boolean(),
  manifest_hash: z.string(),
  availability: WireAvailabilitySchema,
  /** An interrupted operation is left in the folder: `lanspread recover` with its ID repairs it. */
  needs_recovery: z.boolean(),
  /** A download in progress publishes the content it fetches (SPEC §5.1); optional, so older peers' summaries parse. */
  content_hash: HashSchema.optional(),
})
export type WireGameSummary = z.infer<typeof WireGameSummarySchema>
