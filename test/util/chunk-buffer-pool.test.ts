import {describe, expect, it} from 'vitest'
import {ChunkBufferPool} from '../../src/util/chunk-buffer-pool.js'
import {isPageAligned} from '../../src/util/aligned-memory.js'
import {downloadGame} from '../../src/download/downloader.js'
import type {ChunkReply, ChunkRequest, GameSource} from '../../src/download/game-source.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'
import fs from 'node:fs/promises'
import path from 'node:path'

const CHUNK = 64 * 1024

describe('ChunkBufferPool', () => {
  it('hands a released buffer out again, ignores a second release, and never pools an oversize one', () => {
    const pool = new ChunkBufferPool(CHUNK, 2)
    const first = pool.take(100)
    expect(first.buffer.length).toBe(CHUNK)
    first.release()
    first.release()
    expect(pool.freeCount()).toBe(1)
    const again = pool.take(CHUNK)
    expect(again.buffer).toBe(first.buffer)
    const big = pool.take(CHUNK + 1)
    expect(big.buffer.length).toBe(CHUNK + 1)
    big.release()
    expect(pool.freeCount()).toBe(0)
    const [a, b, c] = [pool.take(1), pool.take(1), again]
    for (const lease of [a, b, c]) lease.release()
    expect(pool.freeCount()).toBe(2) // at most maxFree kept
  })
})

/** A source whose replies live in pooled buffers, like BulkTlsGameSource's: counts takes and releases. */
class PooledSource implements GameSource {
  readonly peerId: string
  takes = 0
  releases = 0
  constructor(
    private readonly inner: FakeSource,
    private readonly pool: ChunkBufferPool,
  ) {
    this.peerId = inner.peerId
  }
  getGame(id: string) {
    return this.inner.getGame(id)
  }
  async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    const reply = await this.inner.getChunk(request)
    const lease = this.pool.take(request.length)
    this.takes++
    reply.bytes.forEach((byte, i) => (lease.buffer[i] = byte))
    return {hash: reply.hash, bytes: lease.buffer.subarray(0, request.length), release: () => (this.releases++, lease.release())}
  }
}

describe('the downloader with pooled chunk buffers', () => {
  it.each([
    {buffers: 'plain', pageAligned: false, directWrites: false},
    {buffers: 'page-aligned, written with O_DIRECT', pageAligned: true, directWrites: true},
  ])(
    'gives every reply back exactly once (written, late or lying) and writes the right bytes though buffers are reused ($buffers)',
    async ({pageAligned, directWrites}) => {
      const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
      const operations = new GameOperations(lib.paths)
      operations.attachLibrary(await Library.open(lib.paths, {operations}))
      const bytes = Buffer.alloc(40 * CHUNK + 5)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff
      const game = fakeGame('g', {'version.ini': '1\n', 'a.eti': bytes}, CHUNK)
      const pool = new ChunkBufferPool(CHUNK, 4, {pageAligned})
      const honest = new PooledSource(new FakeSource('honest', game, {delayMs: 1}), pool)
      const liar = new PooledSource(new FakeSource('liar', game, {lies: (r) => r.offset % (3 * CHUNK) === 0}), pool)
      const source = (s: PooledSource) => ({
        source: s,
        summary: {id: 'g', eti_version: '1', manifest_hash: game.manifest.manifest_hash, availability: 'ready' as const},
      })
      const result = await downloadGame({id: 'g', candidates: [source(honest), source(liar)], limits: {maxSourceFailures: 1000}}, {operations, directWrites})
      expect(result.retried_chunks).toBeGreaterThan(0)
      expect(honest.releases).toBe(honest.takes)
      expect(liar.releases).toBe(liar.takes)
      expect((await fs.readFile(path.join(lib.file('g'), 'a.eti'))).equals(bytes)).toBe(true)
    },
  )
})

describe('a page-aligned pool', () => {
  it('hands out page-aligned buffers, reused like any other', () => {
    const pool = new ChunkBufferPool(CHUNK, 2, {pageAligned: true})
    const lease = pool.take(CHUNK)
    expect(isPageAligned(lease.buffer)).toBe(true)
    lease.release()
    expect(pool.take(CHUNK).buffer).toBe(lease.buffer)
    expect(isPageAligned(new ChunkBufferPool(CHUNK, 2).take(CHUNK).buffer)).toBe(false)
  })
})
