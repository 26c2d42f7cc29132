// The documents of the library and peer commands on the control socket (SPEC §7): what `peers`,
// `peers --forget`, `library`, `library --peers` and `scan` print with --json, checked against
// the core's own types so that serve's answer and the on-disk document are one shape.
import {z} from 'zod'
import type {LibrarySnapshot} from '../library/library.js'
import type {ScanReport} from '../library/scanner.js'
import {GameSummarySchema} from '../library/schemas.js'
import type {PeerInfo} from '../words/peer-info.js'
import {assertSameType} from './same-type.js'

export const PeerInfoSchema = z.object({
  peer_id: z.string(),
  hostname: z.string().nullable(),
  addresses: z.array(z.string()),
  proto_ver: z.number(),
  library_rev: z.number().nullable(),
  library_epoch: z.string().nullable(),
  game_count: z.number(),
  last_seen: z.string(),
})
assertSameType<z.infer<typeof PeerInfoSchema>, PeerInfo>()

/** `peers`: the peers serve knows. */
export const PeersResultSchema = z.object({peers: z.array(PeerInfoSchema)})
export type PeersResult = z.infer<typeof PeersResultSchema>

/** `forget`: whether a pin was there to remove. */
export const ForgetResultSchema = z.object({peer_id: z.string(), forgotten: z.boolean()})
export type ForgetResult = z.infer<typeof ForgetResultSchema>

/** `library`: this peer's library, refreshed. */
export const LibraryResultSchema = z.object({
  library_epoch: z.string(),
  library_rev: z.number(),
  library_digest: z.string(),
  games: z.array(GameSummarySchema),
})
export type LibraryResult = z.infer<typeof LibraryResultSchema>
assertSameType<LibraryResult, LibrarySnapshot>()

const ScanReportSchema = z.object({
  scanned: z.number(),
  reused: z.number(),
  rescanned: z.array(z.string()),
  ignored: z.array(z.string()),
  skipped: z.array(z.object({id: z.string(), reason: z.string()})),
  elapsed_ms: z.number(),
})
assertSameType<z.infer<typeof ScanReportSchema>, ScanReport>()

/** `scan`: the library after the scan, and what the scan did. */
export const ScanResultSchema = LibraryResultSchema.extend({scan: ScanReportSchema})
export type ScanResult = z.infer<typeof ScanResultSchema>

/** One game of `library --peers`: who has it, at which versions, and this peer's copy. */
export const NetworkGameSchema = z.object({
  id: z.string(),
  name: z.string(),
  peers: z.array(z.string()),
  versions: z.record(z.string(), z.array(z.string())),
  downloading: z.array(z.string()),
  local: GameSummarySchema.nullable(),
})

/** `library_peers`: every game of the network (or the one asked for). */
export const LibraryPeersResultSchema = z.object({games: z.array(NetworkGameSchema)})
export type LibraryPeersResult = z.infer<typeof LibraryPeersResultSchema>
