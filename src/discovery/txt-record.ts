// The TXT record of a lanspread DNS-SD instance (SPEC §4.1): what a peer tells the LAN about
// itself. Encoded as `key=value` strings; what other hosts send is validated with zod first.
import {z} from 'zod'
import {EpochSchema, HashSchema, PeerIdSchema, ProtoVerSchema, RevisionSchema} from '../protocol/fields.js'

export const TxtFieldsSchema = z.object({
  peer_id: PeerIdSchema,
  proto_ver: z.coerce.number().pipe(ProtoVerSchema),
  library_rev: z.coerce.number().pipe(RevisionSchema),
  library_epoch: EpochSchema,
  /** Lets a receiver tell "nothing changed" without a round trip (the sync compares digests). */
  library_digest: HashSchema,
  game_count: z.coerce.number().pipe(z.int().nonnegative()),
  hostname: z.string().max(255),
  /** SHA-256 fingerprint of the peer's certificate (what peers pin). */
  cert: HashSchema,
})
export type TxtFields = z.infer<typeof TxtFieldsSchema>

/** One string per key; DNS-SD limits each to 255 bytes, which these fields stay well below. */
export function encodeTxt(fields: TxtFields): Buffer[] {
  return Object.entries(fields).map(([key, value]) => Buffer.from(`${key}=${String(value)}`, 'utf8').subarray(0, 255))
}

/** The fields of a TXT record another host sent, or undefined when it is not a valid lanspread record. */
export function decodeTxt(data: unknown): TxtFields | undefined {
  const strings = Array.isArray(data) ? data : [data]
  const pairs: Record<string, string> = {}
  for (const item of strings) {
    if (!Buffer.isBuffer(item) && typeof item !== 'string') return undefined
    const text = item.toString()
    const equals = text.indexOf('=')
    // RFC 6763 §6.4: a key given twice keeps its first value; a string without "=" is a flag.
    if (equals <= 0) continue
    const key = text.slice(0, equals).toLowerCase()
    if (!(key in pairs)) pairs[key] = text.slice(equals + 1)
  }
  const parsed = TxtFieldsSchema.safeParse(pairs)
  return parsed.success ? parsed.data : undefined
}
