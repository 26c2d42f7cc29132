// The serving side of downloads, shared by both data planes: a validated GetGame or GetChunk
// from an identified peer in, a reply out (and, for a chunk, the raw bytes that follow the
// ChunkHeader on the stream). QUIC streams and bulk-TLS connections both call one of these.
import type {Message} from '../protocol/messages.js'

export interface GameRequestReply {
  reply: Message
  /** Raw bytes written right after `reply` (a ChunkHeader's chunk). */
  raw?: Uint8Array
}

export type GameRequestHandler = (request: Message, peerId: string) => Promise<GameRequestReply>
