// The serving side of downloads, shared by both data planes: a validated GetGame or GetChunk
// from an identified peer in, a reply out (and, for a chunk, the raw bytes that follow the
// ChunkHeader on the stream). QUIC streams and bulk-TLS connections both call one of these.
import type {Message} from '../protocol/messages.js'

export interface GameRequestReply {
  reply: Message
  /** Raw bytes written right after `reply` (a ChunkHeader's chunk). */
  raw?: Uint8Array
  /**
   * Present with `raw`: the data plane calls it once the bytes are written or the stream
   * failed. It frees the chunk's permit (the bound on serving memory); one never called is
   * taken back only after a long delay, so a plane that forgets it serves slowly.
   */
  release?: () => void
  /**
   * Present when the plane asked for `framed` replies: the reply's frame and `raw` back to
   * back in one buffer, written with one write. It may live in a reused buffer, so the plane
   * calls `release` only once its socket no longer holds these bytes.
   */
  framed?: Uint8Array
}

/** What a data plane can do with a chunk reply. */
export interface ReplyPlane {
  /**
   * The plane writes `framed` in one write and calls `release` only when nothing references
   * the bytes any more (bulk TLS: after the socket drained or closed), so the chunk may be
   * read into a reused buffer. QUIC does not ask: a timed-out stream may still be reading it.
   */
  framed?: boolean
}

/** `address` is the request's source address (QUIC remote host, TCP remote address): limits count per address too. */
export type GameRequestHandler = (request: Message, peerId: string, plane?: ReplyPlane, address?: string) => Promise<GameRequestReply>
