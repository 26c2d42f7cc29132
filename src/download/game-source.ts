// A peer as the downloader sees it: something that answers GetGame and GetChunk. One
// implementation per data plane (QUIC streams, bulk TLS), and fakes in tests (slow, failing
// or lying sources), so the downloader knows nothing of transports.
import type {GameId} from '../library/layout.js'
import type {GameManifest} from '../protocol/messages.js'

export interface ChunkRequest {
  id: GameId
  manifest_hash: string
  path: string
  offset: number
  length: number
}

export interface ChunkReply {
  /** BLAKE3 (hex) the source claims for these bytes; the downloader checks it against the manifest, not this. */
  hash: string
  bytes: Uint8Array
  /** Present when `bytes` lives in a reused buffer: called once they are written or dropped, never read after. */
  release?(): void
}

/** Which plane a source's chunks travel on, and why not bulk TLS when it fell back (`fetch --json`). */
export interface SourceTransport {
  /** quic or portable: the peer connection's own transport (record 0033). */
  transport: 'bulk-tls' | 'quic' | 'portable'
  fallback_reason?: string
}

export interface GameSource {
  readonly peerId: string
  /** Where its chunk bytes travel (absent for fakes in tests). */
  readonly transport?: SourceTransport
  /**
   * Chunk requests this source is worth having at once, when it knows better than the
   * scheduler's `perSource` (which still caps it): a QUIC source moves a few MB/s, so more
   * chunks in flight only make each take longer (toward its timeout) and hold more memory.
   */
  readonly maxInFlight?: number
  /** The manifest with content hashes; 'not_modified' when `contentHash` is the one the source has. */
  getGame(id: GameId, contentHash?: string): Promise<GameManifest | 'not_modified'>
  getChunk(request: ChunkRequest): Promise<ChunkReply>
  close?(): Promise<void>
}
