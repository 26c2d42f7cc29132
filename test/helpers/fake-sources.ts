// In-memory games and GameSources for downloader tests: honest, slow, failing, lying or
// reply-holding peers, each counting what it served, with no transport at all.
import {blake3, blake3Hex} from '../../src/library/blake3.js'
import {fileHashOf} from '../../src/library/content-hashes.js'
import type {GameId} from '../../src/library/layout.js'
import {manifestHash} from '../../src/library/manifest.js'
import type {GameSummary} from '../../src/library/summary.js'
import type {ChunkReply, ChunkRequest, GameSource} from '../../src/download/game-source.js'
import type {SourceCandidate} from '../../src/download/source-selection.js'
import type {GameManifest} from '../../src/protocol/messages.js'

/** A game as a source holds it: bytes per path, read through `read` so huge games need no buffer. */
export interface FakeGame {
  id: GameId
  manifest: GameManifest
  read(path: string, offset: number, length: number): Uint8Array
}

/** Builds a game from files held in memory; paths sorted as a manifest is. */
export function fakeGame(id: GameId, files: Record<string, string | Buffer>, chunkSize: number): FakeGame {
  const contents = new Map(Object.entries(files).map(([p, c]) => [p, typeof c === 'string' ? Buffer.from(c) : c]))
  return gameFrom(
    id,
    [...contents].map(([p, c]) => ({path: p, size: c.length})),
    chunkSize,
    (p, offset, length) => contents.get(p)!.subarray(offset, offset + length),
  )
}

/** A game whose bytes are computed from (path, offset): a chunk of `size` bytes never all lives in memory. */
export function generatedGame(id: GameId, sizes: Record<string, number>, chunkSize: number, seed = 1): FakeGame {
  const read = (p: string, offset: number, length: number) => {
    const out = Buffer.allocUnsafe(length)
    let x = (seed * 2654435761 + offset * 31 + p.length * 7) >>> 0
    for (let i = 0; i < length; i += 4) {
      x = (x * 1664525 + 1013904223) >>> 0
      out.writeUInt32LE(x, i) // length is a multiple of 4 in these tests
    }
    return out
  }
  return gameFrom(
    id,
    Object.entries(sizes).map(([p, size]) => ({path: p, size})),
    chunkSize,
    read,
  )
}

function gameFrom(id: GameId, list: {path: string; size: number}[], chunkSize: number, read: FakeGame['read']): FakeGame {
  list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const files = list.map(({path, size}) => {
    const chunks: string[] = []
    for (let offset = 0; offset < size || chunks.length === 0; offset += chunkSize) {
      chunks.push(blake3(read(path, offset, Math.min(chunkSize, size - offset))).toString('hex'))
    }
    return {path, size, hash: fileHashOf(chunks), chunks}
  })
  const manifest_hash = manifestHash({chunk_size: chunkSize, files: files.map((f) => ({path: f.path, size: f.size, mtime_ms: 0}))})
  const content_hash = blake3Hex(files.map((f) => f.hash).join('\n'))
  return {id, manifest: {type: 'GameManifest', id, manifest_hash, content_hash, chunk_size: chunkSize, files}, read}
}

export interface FakeSourceOptions {
  /** Milliseconds before each chunk reply. */
  delayMs?: number
  /** True for the chunks this source answers with wrong bytes. */
  lies?(request: ChunkRequest): boolean
  /** True for the chunk requests that fail. */
  fails?(request: ChunkRequest, count: number): boolean
  /** Replies wait until release() (a source that holds them). */
  hold?: boolean
}

export class FakeSource implements GameSource {
  readonly requests: ChunkRequest[] = []
  servedBytes = 0
  private held: (() => void)[] = []
  private holding: boolean

  constructor(
    readonly peerId: string,
    public game: FakeGame,
    private readonly options: FakeSourceOptions = {},
  ) {
    this.holding = options.hold ?? false
  }

  async getGame(id: GameId): Promise<GameManifest> {
    if (id !== this.game.id) throw new Error(`${this.peerId} has no game ${id}`)
    return this.game.manifest
  }

  async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    this.requests.push(request)
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs))
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve))
    if (this.options.fails?.(request, this.requests.length)) throw new Error(`${this.peerId} failed`)
    const bytes = Buffer.from(this.game.read(request.path, request.offset, request.length))
    if (this.options.lies?.(request)) bytes[0] = bytes[0]! ^ 0xff
    this.servedBytes += bytes.length
    return {hash: '', bytes}
  }

  /** How many replies are waiting to be released. */
  get heldCount(): number {
    return this.held.length
  }

  release(all = false): void {
    if (all) this.holding = false
    const waiting = this.held
    this.held = []
    for (const resolve of waiting) resolve()
  }

  summary(): Pick<GameSummary, 'id' | 'eti_version' | 'manifest_hash' | 'availability'> {
    return {id: this.game.id, eti_version: '1', manifest_hash: this.game.manifest.manifest_hash, availability: 'ready'}
  }

  candidate(summary: Partial<SourceCandidate['summary']> = {}): SourceCandidate {
    return {source: this, summary: {...this.summary(), ...summary}}
  }
}
