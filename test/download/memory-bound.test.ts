import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import {describe, expect, it, vi} from 'vitest'
import {extractTar} from '../../src/ops/extract/tar.js'
import {MAX_CHUNK_SIZE} from '../../src/config.js'
import {isPageAligned} from '../../src/util/aligned-memory.js'
import {AlignedBuffers, ChunkBufferPool, MAX_ALIGNED_BUFFERS} from '../../src/util/chunk-buffer-pool.js'
import v8 from 'node:v8'
import vm from 'node:vm'
import {downloadGame} from '../../src/download/downloader.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {FakeSource, generatedGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const MIB = 1024 * 1024

describe('download memory', () => {
  it('keeps the bytes buffered under the bound for a 256 MiB game whose sources hold their replies', async () => {
    const lib = await makeTempLibrary([{id: 'big', name: 'Big'}])
    const operations = new GameOperations(lib.paths)
    const game = generatedGame('big', {'version.ini': 4, 'a.eti': 128 * MIB, 'b.eti': 128 * MIB}, 4 * MIB)
    // Each source would take 16 requests at once (2 × 16 × 4 MiB = 128 MiB): the byte bound must bind first.
    const sources = ['p1', 'p2'].map((peer) => new FakeSource(peer, game, {delayMs: 20}))
    let outstanding = 0
    let peakOutstanding = 0
    for (const source of sources) {
      const getChunk = source.getChunk.bind(source)
      source.getChunk = async (request) => {
        peakOutstanding = Math.max(peakOutstanding, ++outstanding)
        try {
          return await getChunk(request)
        } finally {
          outstanding--
        }
      }
    }
    let peakReported = 0
    const result = await downloadGame(
      {
        id: 'big',
        candidates: sources.map((s) => s.candidate()),
        limits: {perSource: 16, maxBufferedBytes: 64 * MIB},
        onProgress: (p) => (peakReported = Math.max(peakReported, p.buffered_bytes)),
      },
      {operations},
    )
    expect(result.bytes).toBe(256 * MIB + 4)
    expect(result.peak_buffered_bytes).toBeLessThanOrEqual(64 * MIB)
    expect(peakReported).toBeLessThanOrEqual(64 * MIB)
    expect(peakOutstanding).toBeLessThanOrEqual(16) // 64 MiB of 4 MiB chunks
    expect(peakOutstanding).toBeGreaterThanOrEqual(8) // and the bound, not the sources, set the pace
  }, 120_000)
})

// V8 does not count page-aligned (WebAssembly) memory, so a dropped buffer stays resident until a
// major GC nothing prompts: serve's RSS grew by each fetch's pool (bench:memory). They are shared.
describe('page-aligned chunk buffers', () => {
  it('a pool per fetch, as fetchGames makes, hands out the buffers of the pools before it', () => {
    const lent = (pool: ChunkBufferPool, n: number) => Array.from({length: n}, () => pool.take(MAX_CHUNK_SIZE))
    const first = lent(new ChunkBufferPool(MAX_CHUNK_SIZE, undefined, {pageAligned: true}), 6)
    for (const lease of first) lease.release()
    const memories = new Set(first.map((lease) => lease.buffer.buffer))
    for (let fetch = 0; fetch < 3; fetch++) {
      const leases = lent(new ChunkBufferPool(MAX_CHUNK_SIZE, undefined, {pageAligned: true}), 6)
      for (const lease of leases) {
        expect(isPageAligned(lease.buffer)).toBe(true)
        expect(memories.has(lease.buffer.buffer)).toBe(true) // no new memory: the first fetch's
        lease.release()
      }
    }
  })

  it('never exist in more than MAX_ALIGNED_BUFFERS at once, however many are taken: plain buffers after that', () => {
    const size = 64 * 1024
    const pools = [0, 1, 2].map(() => new ChunkBufferPool(size, undefined, {pageAligned: true}))
    const leases = Array.from({length: 3 * MAX_ALIGNED_BUFFERS}, (_, i) => pools[i % 3]!.take(size))
    const aligned = new Set(leases.filter((lease) => isPageAligned(lease.buffer)).map((lease) => lease.buffer.buffer))
    expect(MAX_ALIGNED_BUFFERS).toBeLessThanOrEqual(16)
    expect(aligned.size).toBe(MAX_ALIGNED_BUFFERS)
    for (const lease of leases) expect(lease.buffer.length).toBe(size)
    for (const lease of leases) lease.release()
    const again = Array.from({length: 3 * MAX_ALIGNED_BUFFERS}, (_, i) => pools[i % 3]!.take(size))
    expect(new Set(again.filter((lease) => isPageAligned(lease.buffer)).map((lease) => lease.buffer.buffer))).toEqual(aligned)
  })
})

describe('the page-aligned store', () => {
  it('gets back the place of a buffer never given back (a failed read) once it is collected', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as () => void
    const store = new AlignedBuffers(64 * 1024, 2)
    const pool = new ChunkBufferPool(64 * 1024, undefined, {pageAligned: true, aligned: store})
    ;(() => {
      pool.take(1024)
      pool.take(1024) // both lost: never released
    })()
    expect(store.allocatedCount()).toBe(2)
    for (let i = 0; i < 100 && store.allocatedCount() > 0; i++) {
      gc()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(store.allocatedCount()).toBe(0)
    expect(isPageAligned(pool.take(1024).buffer)).toBe(true)
  })
})

// 64 KiB reads are heap mallocs glibc keeps once freed: serve's RSS grew with every install.
describe('tar extraction', () => {
  it('reads the archive in reads of 1 MiB, not the stream default of 64 KiB', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanspread-tar-reads-'))
    try {
      fs.mkdirSync(path.join(dir, 'in'))
      fs.writeFileSync(path.join(dir, 'in', 'a.bin'), Buffer.alloc(3 * MIB, 1))
      await tar.create({file: path.join(dir, 'a.tar'), cwd: path.join(dir, 'in'), portable: true}, ['a.bin'])
      fs.mkdirSync(path.join(dir, 'out'))
      const reads = vi.spyOn(fs, 'createReadStream')
      try {
        await extractTar(path.join(dir, 'a.tar'), path.join(dir, 'out'), false)
        const options = reads.mock.calls.map((call) => call[1])
        expect(options).toHaveLength(1)
        expect((options[0] as {highWaterMark?: number} | undefined)?.highWaterMark).toBeGreaterThanOrEqual(MIB)
      } finally {
        reads.mockRestore()
      }
      expect(fs.statSync(path.join(dir, 'out', 'a.bin')).size).toBe(3 * MIB)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})
