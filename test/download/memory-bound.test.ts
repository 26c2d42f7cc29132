import {describe, expect, it} from 'vitest'
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
