// A peer as a download source over its peer connection (QUIC or the portable transport, named
// after the first): GetGame and GetChunk on streams of
// their own (one request per stream), each bounded by the request timeout. Refusals come back
// as the LanspreadErrors of their wire codes; a reply that does not fit the request is a violation.
import type {GameId} from '../library/layout.js'
import {FrameReader} from '../protocol/frame-reader.js'
import {FrameWriter} from '../protocol/frame-writer.js'
import type {GameManifest} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import type {PeerConnection} from '../transport/endpoint.js'
import type {ChunkReply, ChunkRequest, GameSource, SourceTransport} from './game-source.js'

export interface QuicGameSourceOptions {
  peerId: string
  timeoutMs: number
  /** Chunk streams at once (default DEFAULT_QUIC_CHUNKS_IN_FLIGHT). */
  maxInFlight?: number
}

/**
 * Two: QUIC here is CPU-bound at a few MB/s per connection, so one more stream keeps it busy
 * while a reply is verified; four per source made each 4 MiB chunk take ~16 s at 2 MB/s,
 * and under load some ran into the 30 s chunk timeout (bench:fetch --no-bulk).
 */
export const DEFAULT_QUIC_CHUNKS_IN_FLIGHT = 2

/** The portable transport (HTTP/2 over TCP) is not CPU-bound that way: four keep its window busy. */
export const DEFAULT_PORTABLE_CHUNKS_IN_FLIGHT = 4

export class QuicGameSource implements GameSource {
  readonly peerId: string
  readonly maxInFlight: number
  readonly transport: SourceTransport

  constructor(
    private readonly connection: PeerConnection,
    private readonly options: QuicGameSourceOptions,
  ) {
    this.peerId = options.peerId
    this.transport = {transport: connection.transport}
    this.maxInFlight = options.maxInFlight ?? (connection.transport === 'quic' ? DEFAULT_QUIC_CHUNKS_IN_FLIGHT : DEFAULT_PORTABLE_CHUNKS_IN_FLIGHT)
  }

  async getGame(id: GameId, contentHash?: string): Promise<GameManifest | 'not_modified'> {
    const request = {type: 'GetGame' as const, id, ...(contentHash === undefined ? {} : {content_hash: contentHash})}
    return this.connection.request(
      async (stream) => {
        const writer = new FrameWriter(stream.writable, {peer: this.peerId})
        await writer.send(request)
        await writer.end()
        const reply = await new FrameReader(stream.readable, {peer: this.peerId}).expect('GameManifest', 'NotModified')
        if (reply.type === 'NotModified') return 'not_modified'
        if (reply.id !== id) throw protocolViolation(this.peerId, `answered GetGame ${id} with the manifest of ${reply.id}`)
        return reply
      },
      {timeoutMs: this.options.timeoutMs, what: `GetGame ${id}`},
    )
  }

  async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    return this.connection.request(
      async (stream) => {
        const writer = new FrameWriter(stream.writable, {peer: this.peerId})
        await writer.send({type: 'GetChunk', ...request})
        await writer.end()
        const reader = new FrameReader(stream.readable, {peer: this.peerId})
        // An Error frame becomes the LanspreadError of its wire code.
        const header = await reader.expect('ChunkHeader')
        if (header.length !== request.length) {
          throw protocolViolation(
            this.peerId,
            `announced ${header.length} bytes for a chunk of ${request.length} (${request.id}/${request.path} at ${request.offset})`,
          )
        }
        const bytes = await reader.readRaw(header.length)
        return {hash: header.hash, bytes}
      },
      {timeoutMs: this.options.timeoutMs, what: `GetChunk ${request.id}/${request.path} at ${request.offset}`},
    )
  }
}
