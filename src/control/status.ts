// The document of `status` on the control socket (SPEC §7): serve's identity, uptime, peers,
// the downloads and uploads in progress with their rates, the peer transports and their traffic,
// and the runtime (platform, Node, which BLAKE3 backend loaded).
import {z} from 'zod'
import type {ServedGameInfo, UploadInfo} from '../serving/uploads.js'
import type {TrafficCounters} from '../transport/endpoint.js'
import {DownloadProgressSchema} from './fetch-documents.js'
import {PeerInfoSchema} from './library-documents.js'
import {RuntimeInfoSchema} from './runtime-info.js'
import {assertSameType} from './same-type.js'

const UploadSchema = z.object({id: z.string(), peer_id: z.string(), bytes: z.number(), started_at: z.string(), rate: z.number()})
assertSameType<z.infer<typeof UploadSchema>, UploadInfo>()

const ServedGameSchema = z.object({id: z.string(), chunks: z.number()})
assertSameType<z.infer<typeof ServedGameSchema>, ServedGameInfo>()

const TrafficSchema = z.object({bytes_in: z.number(), bytes_out: z.number(), datagrams_in: z.number(), datagrams_out: z.number()})
assertSameType<z.infer<typeof TrafficSchema>, TrafficCounters>()

export const StatusSchema = z.object({
  running: z.literal(true),
  peer_id: z.string(),
  host: z.string(),
  port: z.number(),
  library_epoch: z.string(),
  library_rev: z.number(),
  library_digest: z.string(),
  started_at: z.string(),
  uptime_ms: z.number(),
  peers: z.array(PeerInfoSchema),
  downloads: z.array(DownloadProgressSchema),
  uploads: z.array(UploadSchema),
  /** Per game being uploaded, the distinct chunks of it handed out to any peer (a seed of a swarm: each about once). */
  served: z.array(ServedGameSchema),
  traffic: TrafficSchema,
  runtime: RuntimeInfoSchema,
  /** The peer transports serve runs (record 0033), the portable one's TCP port, and why QUIC does not run when it does not. */
  transports: z.array(z.enum(['quic', 'portable'])),
  portable_port: z.number().nullable(),
  quic_missing: z.string().nullable(),
})
export type Status = z.infer<typeof StatusSchema>
