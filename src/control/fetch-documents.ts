// The documents of `fetch` on the control socket: the progress of a download (its event, and
// `status`'s downloads) and what each fetched game took from whom, over which data plane.
import {z} from 'zod'
import type {DownloadProgress} from '../download/progress.js'
import {assertSameType} from './same-type.js'

export const DownloadProgressSchema = z.object({
  id: z.string(),
  total_bytes: z.number(),
  done_bytes: z.number(),
  reused_bytes: z.number(),
  fetched_bytes: z.number(),
  buffered_bytes: z.number(),
  sources: z.array(z.object({peer_id: z.string(), bytes: z.number()})),
  rate: z.number(),
  eta_ms: z.number().nullable(),
})
assertSameType<z.infer<typeof DownloadProgressSchema>, DownloadProgress>()

/** One game of `fetch --json` (peer/fetch-games.ts: FetchedGame, checked in peer/control-handlers.ts). */
export const FetchedGameSchema = z.object({
  id: z.string(),
  eti_version: z.string().nullable(),
  manifest_hash: z.string(),
  bytes: z.number(),
  reused_bytes: z.number(),
  elapsed_ms: z.number(),
  sources: z.array(
    z.object({
      peer_id: z.string(),
      bytes: z.number(),
      /** `seed`: held the game complete; `partial`: a peer downloading the same content (swarming). */
      kind: z.enum(['seed', 'partial']),
      transport: z.enum(['bulk-tls', 'quic', 'portable']),
      fallback_reason: z.string().optional(),
    }),
  ),
  retried_chunks: z.number(),
  installed: z.boolean(),
  install: z.enum(['installed', 'updated', 'unchanged']).optional(),
  kept: z.array(z.string()).optional(),
})
export type FetchedGame = z.infer<typeof FetchedGameSchema>

export const FetchResultSchema = z.object({games: z.array(FetchedGameSchema)})
export type FetchResult = z.infer<typeof FetchResultSchema>
