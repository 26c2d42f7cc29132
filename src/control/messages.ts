// The control socket's wire format (SPEC §7): newline-delimited JSON. A client sends
// requests `{id, command, args}`; serve answers each with `{id, ok, result | error}` and, once
// a client subscribed, streams `{event, data}` lines. Parsed with zod at the edge.
import {z} from 'zod'
import {ERROR_CODES} from '../errors.js'

export const CONTROL_COMMANDS = [
  'status',
  'peers',
  'forget',
  'library',
  'library_peers',
  'scan',
  'install',
  'uninstall',
  'recover',
  'fetch',
  'cancel',
  'subscribe',
] as const
export type ControlCommand = (typeof CONTROL_COMMANDS)[number]

/** One request line: `args` is validated again by the handler of its command. */
export const ControlRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  command: z.enum(CONTROL_COMMANDS),
  args: z.record(z.string(), z.unknown()).default({}),
})
export type ControlRequest = z.infer<typeof ControlRequestSchema>

export const ControlErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  hint: z.string().optional(),
})
export type ControlError = z.infer<typeof ControlErrorSchema>

export const ControlReplySchema = z.union([
  z.object({id: z.number(), ok: z.literal(true), result: z.unknown()}),
  z.object({id: z.number(), ok: z.literal(false), error: ControlErrorSchema}),
])
export type ControlReply = z.infer<typeof ControlReplySchema>

export const ControlEventSchema = z.object({event: z.string(), data: z.unknown()})
export type ControlEvent = z.infer<typeof ControlEventSchema>

/** The longest line either side accepts: a library of 100,000 games fits well below it. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024 * 1024

/**
 * A job token a client picks for its fetch or install, so that it can `cancel` that work
 * (Ctrl-C): serve never guesses which request an interrupted command meant.
 */
export const JobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)

export const CancelArgsSchema = z.object({job: JobIdSchema})
export type CancelArgs = z.infer<typeof CancelArgsSchema>

/**
 * What `cancel` did: `cancelling` (the job stops; its request fails with code `interrupted`),
 * `not_cancellable` (an install runs to its end, see docs/decisions/0014-cancel-through-serve.md),
 * `unknown` (no such job runs: it finished already, or never began).
 */
export const CancelResultSchema = z.object({job: JobIdSchema, outcome: z.enum(['cancelling', 'not_cancellable', 'unknown'])})
export type CancelResult = z.infer<typeof CancelResultSchema>
