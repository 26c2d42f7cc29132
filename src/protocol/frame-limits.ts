// How large a frame of each message type may be, and what a frame may cost to parse: a peer is
// untrusted (SPEC §4.6), so a frame's size is checked against its type before its body is read,
// and the JSON's count of objects and values before JSON.parse builds them.
import type {MessageType} from './messages.js'
import {MAX_FRAME_BYTES} from './limits.js'
import {protocolViolation} from './violation.js'

/**
 * Every frame of a type not listed in LARGE_FRAME_BYTES: requests and small replies. The swarm's
 * messages are small too, so a peer may send them on any stream: GetChunkMap; a ChunkMap of the
 * largest game (MAX_CHUNKS_PER_GAME: 21,848 base64 characters, ~22 KB); a Have of MAX_HAVE_CHUNKS
 * indexes (~29 KB). test/protocol/chunk-map.test.ts checks both against this limit.
 */
export const MAX_SMALL_FRAME_BYTES = 64 * 1024

/** The only types that may be larger, and their own limits. */
export const LARGE_FRAME_BYTES: ReadonlyMap<MessageType, number> = new Map<MessageType, number>([
  ['Hello', 1024 * 1024],
  ['HelloAck', 1024 * 1024],
  ['LibrarySnapshot', MAX_FRAME_BYTES],
  ['LibraryDelta', MAX_FRAME_BYTES],
  ['GameList', MAX_FRAME_BYTES],
  ['GameManifest', MAX_FRAME_BYTES],
])

/** Large types a stream may carry: any (a reply to our own request), or a subset (a request stream). */
export type LargeFrameTypes = ReadonlySet<MessageType>

export const ANY_LARGE_FRAME: LargeFrameTypes = new Set(LARGE_FRAME_BYTES.keys())
export const NO_LARGE_FRAME: LargeFrameTypes = new Set()
/** What a peer may send unasked: its Hello, and its library pushed as a delta once admitted. */
export const LARGE_REQUESTS: LargeFrameTypes = new Set<MessageType>(['Hello', 'LibraryDelta'])
export const LARGE_REQUESTS_BEFORE_HELLO: LargeFrameTypes = new Set<MessageType>(['Hello'])

/** Bytes of a large frame's body read first to find its type. */
export const TYPE_PEEK_BYTES = 64

/**
 * The limit of a frame of `length` bytes whose body starts with `head`. A frame over the small
 * limit must name its type first (`{"type":"…"`, as every lanspread peer writes it), and that
 * type must be one this stream may carry large.
 */
export function checkLargeFrame(head: Uint8Array, length: number, allowed: LargeFrameTypes, peer?: string): void {
  const type = /^\s*\{\s*"type"\s*:\s*"([A-Za-z]{1,32})"/.exec(Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1'))?.[1] as
    MessageType | undefined
  const limit = type !== undefined && allowed.has(type) ? (LARGE_FRAME_BYTES.get(type) ?? MAX_SMALL_FRAME_BYTES) : MAX_SMALL_FRAME_BYTES
  if (length <= limit) return
  const what = type === undefined ? 'a frame that does not start with its type' : `a ${type} frame`
  throw protocolViolation(peer, `${what} of ${length} bytes is over the limit of ${limit} for it here`)
}

/**
 * JSON.parse of 8 MiB of `{},{},…` builds millions of objects (~2 s, ~280 MB). Counted first,
 * in one pass over the bytes: objects and arrays at most one per 48 bytes, values (commas) at
 * most one per 6. A lanspread message stays far below both (a game summary is ~10 values in
 * ~200 bytes, one object), so only a frame built to be costly is refused.
 */
export function checkParseBudget(body: Uint8Array, peer?: string): void {
  // A small frame cannot cost much (64 KiB of `{}` is ~2 MB, a few ms): only large ones are counted.
  if (body.length <= MAX_SMALL_FRAME_BYTES) return
  const maxContainers = 64 + Math.floor(body.length / 48)
  const maxValues = 256 + Math.floor(body.length / 6)
  let containers = 0
  let values = 0
  let inString = false
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!
    if (inString) {
      if (byte === 0x5c)
        i++ // a backslash: skip the escaped byte
      else if (byte === 0x22) inString = false
      continue
    }
    if (byte === 0x22) inString = true
    else if (byte === 0x2c) values++
    else if (byte === 0x7b || byte === 0x5b) containers++
  }
  if (containers > maxContainers || values > maxValues) {
    throw protocolViolation(
      peer,
      `a frame of ${body.length} bytes holds ${containers} objects/arrays and ${values} values, over the ${maxContainers} and ${maxValues} allowed for its size`,
    )
  }
}
