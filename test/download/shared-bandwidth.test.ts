// A source whose requests share one pipe (QUIC interleaves its streams fairly): with four
// chunks in flight each takes four times as long as one alone, and they all land together.
// The chunk timeout must bound a source that stopped, not one that is slow but steady.
import {describe, expect, it} from 'vitest'
import {downloadGame} from '../../src/download/downloader.js'
import type {ChunkReply, ChunkRequest, GameSource} from '../../src/download/game-source.js'
import type {GameId} from '../../src/library/layout.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import type {GameManifest} from '../../src/protocol/messages.js'
import {type FakeGame, FakeSource, generatedGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024
const TICK_MS = 5

/** Moves `bytesPerTick` every TICK_MS, split evenly over the requests in flight. */
class SharedPipeSource implements GameSource {
  readonly requests: ChunkRequest[] = []
  private readonly transfers = new Set<{left: number; done: () => void}>()
  private readonly ticker: NodeJS.Timeout
  private stopped = false

  constructor(
    readonly peerId: string,
    private readonly game: FakeGame,
    private readonly bytesPerTick: number,
  ) {
    this.ticker = setInterval(() => this.tick(), TICK_MS)
  }

  async getGame(id: GameId): Promise<GameManifest> {
    return new FakeSource(this.peerId, this.game).getGame(id)
  }

  async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    this.requests.push(request)
    await new Promise<void>((done) => this.transfers.add({left: request.length, done}))
    return {hash: '', bytes: Buffer.from(this.game.read(request.path, request.offset, request.length))}
  }

  /** From now on nothing moves (the peer hangs). */
  stop(): void {
    this.stopped = true
  }

  stopTicker(): void {
    clearInterval(this.ticker)
  }

  private tick(): void {
    if (this.stopped || this.transfers.size === 0) return
    const share = Math.ceil(this.bytesPerTick / this.transfers.size)
    for (const transfer of [...this.transfers]) {
      transfer.left -= share
      if (transfer.left > 0) continue
      this.transfers.delete(transfer)
      transfer.done()
    }
  }
}

async function setup() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const operations = new GameOperations(lib.paths)
  operations.attachLibrary(await Library.open(lib.paths, {operations}))
  return {operations}
}

describe('chunk timeouts over a shared pipe', () => {
  it('keeps a slow but steady only source whose four parallel chunks each take longer than the chunk timeout', async () => {
    const {operations} = await setup()
    const game = generatedGame('g', {'version.ini': 4, 'a.eti': 12 * CHUNK}, CHUNK)
    // One chunk alone: ~80 ms; four sharing the pipe: ~320 ms each, past the 200 ms timeout.
    const source = new SharedPipeSource('slow', game, Math.ceil(CHUNK / (80 / TICK_MS)))
    try {
      const result = await downloadGame({id: 'g', candidates: [{source, summary: summaryOf(game)}], limits: {chunkTimeoutMs: 200}}, {operations})
      expect(result.bytes).toBe(12 * CHUNK + 4)
      expect(source.requests).toHaveLength(13) // no chunk abandoned and fetched again
    } finally {
      source.stopTicker()
    }
  })

  it('still fails an only source that stops moving, within its timeout per chunk in flight', async () => {
    const {operations} = await setup()
    const game = generatedGame('g', {'version.ini': 4, 'a.eti': 12 * CHUNK}, CHUNK)
    const source = new SharedPipeSource('hung', game, Math.ceil(CHUNK / (80 / TICK_MS)))
    source.stop()
    const started = Date.now()
    try {
      await expect(
        downloadGame({id: 'g', candidates: [{source, summary: summaryOf(game)}], limits: {chunkTimeoutMs: 100}}, {operations}),
      ).rejects.toMatchObject({
        code: 'no_peers',
        message: expect.stringContaining('no chunk within'),
      })
      // Four requests in flight: 4 × 100 ms without a chunk, then all four count as failures.
      expect(Date.now() - started).toBeLessThan(2_000)
    } finally {
      source.stopTicker()
    }
  })
})

function summaryOf(game: FakeGame) {
  return {id: game.id, eti_version: '1', manifest_hash: game.manifest.manifest_hash, availability: 'ready' as const}
}
