// The document of `status` on the control socket (SPEC §7): serve's identity, uptime, peers,
// and the downloads and uploads in progress with their rates. Checked with zod by the client.
import {z} from 'zod'

const PeerSchema = z.looseObject({
  peer_id: z.string(),
  hostname: z.string().nullable(),
  addresses: z.array(z.string()),
  proto_ver: z.number(),
  library_rev: z.number().nullable(),
  library_epoch: z.string().nullable(),
  game_count: z.number(),
  last_seen: z.string(),
})

const DownloadSchema = z.looseObject({
  id: z.string(),
  total_bytes: z.number(),
  done_bytes: z.number(),
  rate: z.number(),
  eta_ms: z.number().nullable(),
  sources: z.array(z.object({peer_id: z.string(), bytes: z.number()})),
})

const UploadSchema = z.object({id: z.string(), peer_id: z.string(), bytes: z.number(), started_at: z.string(), rate: z.number()})

export const StatusSchema = z.looseObject({
  running: z.literal(true),
  peer_id: z.string(),
  host: z.string(),
  port: z.number(),
  library_rev: z.number(),
  started_at: z.string(),
  uptime_ms: z.number(),
  peers: z.array(PeerSchema),
  downloads: z.array(DownloadSchema),
  uploads: z.array(UploadSchema),
})
export type Status = z.infer<typeof StatusSchema>
