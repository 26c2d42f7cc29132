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
}

export type GameRequestHandler = (request: Message, peerId: string) => Promise<GameRequestReply>
