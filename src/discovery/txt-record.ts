// The TXT record of a lanspread DNS-SD instance (SPEC §4.1): what a peer tells the LAN about
// itself. Encoded as `key=value` strings; what other hosts send is validated with zod first.
import {z} from 'zod'
import {EpochSchema, HashSchema, PeerIdSchema, ProtoVerSchema, RevisionSchema} from '../protocol/fields.js'
import {type PeerTransports, TRANSPORT_NAMES, type TransportName} from '../words/transports.js'

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
  /** The peer transports it serves, comma-separated (record 0033); absent: an older peer, QUIC only. Unknown names are dropped. */
  transports: z
    .string()
    .max(64)
    .transform((text) => text.split(',').filter((name): name is TransportName => (TRANSPORT_NAMES as readonly string[]).includes(name)))
    .optional(),
  /** The portable transport's TCP port when it differs from the SRV port + 1. */
  portable_port: z.coerce.number().pipe(z.int().min(1).max(65535)).optional(),
})
export type TxtFields = z.infer<typeof TxtFieldsSchema>

/** What a record says of its transports: absent is an older peer, which speaks QUIC alone. */
export function txtTransports(fields: TxtFields): PeerTransports {
  return {transports: fields.transports ?? ['quic'], ...(fields.portable_port === undefined ? {} : {portable_port: fields.portable_port})}
}

/** One string per key; DNS-SD limits each to 255 bytes, which these fields stay well below. */
export function encodeTxt(fields: TxtFields): Buffer[] {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => Buffer.from(`${key}=${Array.isArray(value) ? value.join(',') : String(value)}`, 'utf8').subarray(0, 255))
}

/**
 * Verdicts on the TXT records heard lately, by their exact strings. Every peer repeats the
 * same record in each answer and announcement, and every peer hears all of them: without it
 * a LAN of N peers validates the same N records with zod over and over (2 % of the peers'
 * CPU while 20 converge). Bounded: the oldest verdict goes first.
 */
const recent = new Map<string, TxtFields | undefined>()
const RECENT_MAX = 512
/** Ours are ~500 characters; longer ones (hostile, or another program's) are checked each time, not kept. */
const RECENT_KEY_MAX = 2048

/** The fields of a TXT record another host sent, or undefined when it is not a valid lanspread record. */
export function decodeTxt(data: unknown): TxtFields | undefined {
  const strings: string[] = []
  for (const item of Array.isArray(data) ? data : [data]) {
    if (!Buffer.isBuffer(item) && typeof item !== 'string') return undefined
    strings.push(item.toString())
  }
  // Length-prefixed, so no two different lists of strings share a key.
  const key = strings.map((text) => `${text.length}:${text}`).join('')
  if (recent.has(key)) {
    const known = recent.get(key)
    return known && {...known}
  }
  const fields = validate(strings)
  if (key.length > RECENT_KEY_MAX) return fields
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!)
  recent.set(key, fields)
  return fields && {...fields}
}

function validate(strings: string[]): TxtFields | undefined {
  const pairs: Record<string, string> = {}
  for (const text of strings) {
    const equals = text.indexOf('=')
    // RFC 6763 §6.4: a key given twice keeps its first value; a string without "=" is a flag.
    if (equals <= 0) continue
    const key = text.slice(0, equals).toLowerCase()
    if (!(key in pairs)) pairs[key] = text.slice(equals + 1)
  }
  const parsed = TxtFieldsSchema.safeParse(pairs)
  return parsed.success ? parsed.data : undefined
}
