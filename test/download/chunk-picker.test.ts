import {describe, expect, it} from 'vitest'
import {ChunkPicker, type ChunkPickerOptions} from '../../src/download/chunk-picker.js'
import {DEFAULT_PICKER_LIMITS, inFlightAllowance} from '../../src/download/picker-limits.js'
import {isLanspreadError} from '../../src/errors.js'
import {seededRandom} from '../helpers/protocol.js'
import {simulateSwarm} from '../helpers/swarm-sim.js'

const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, index) => from + index)

function picker(chunkCount: number, options: Partial<ChunkPickerOptions> = {}): ChunkPicker {
  return new ChunkPicker({chunkCount, needed: range(0, chunkCount), random: seededRandom(1), ...options})
}

/** Picks for `source` until it gets nothing, returning the chunks. */
function drain(subject: ChunkPicker, source: string): number[] {
  const chunks: number[] = []
  for (let pick = subject.pick(source); pick !== undefined; pick = subject.pick(source)) chunks.push(pick.chunk)
  return chunks
}

describe('ChunkPicker: rarest first', () => {
  it('asks a source for the chunk fewest sources have', () => {
    const subject = picker(4, {limits: {minInFlight: 8, maxInFlight: 8}})
    subject.addPartial('a', [0, 1, 2, 3])
    subject.addPartial('b', [0, 1, 2])
    subject.addPartial('c', [0, 1])
    subject.addPartial('d', [0])
    expect(drain(subject, 'a')).toEqual([3, 2, 1, 0])
  })

  it('follows Have updates: a chunk that became common waits behind one that stayed rare', () => {
    const subject = picker(2, {limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addPartial('a', [0, 1])
    subject.addPartial('b', [0])
    expect(subject.pick('a')).toEqual({chunk: 1, duplicate: false})
    subject.release('a', 1)
    subject.addHave('b', [1])
    subject.addPartial('c', [1])
    expect(subject.pick('a')).toEqual({chunk: 0, duplicate: false})
  })

  it('is random among equals: other seeds spread fetchers over other chunks; one seed replays', () => {
    const firstPicks = (seed: number): number[] => {
      const subject = picker(1000, {random: seededRandom(seed), limits: {minInFlight: 8, maxInFlight: 8}})
      subject.addSeed('s')
      return drain(subject, 's')
    }
    expect(firstPicks(1)).toEqual(firstPicks(1))
    expect(firstPicks(1)).not.toEqual(firstPicks(2))
    expect(new Set([...firstPicks(1), ...firstPicks(2), ...firstPicks(3)]).size).toBeGreaterThan(20)
  })
})

describe('ChunkPicker: a partial peer before a seed', () => {
  it('gives a chunk both have to the partial peer, and the seed the chunks only it has', () => {
    const subject = picker(10, {limits: {minInFlight: 4, maxInFlight: 4}})
    subject.addSeed('seed')
    subject.addPartial('peer', [7])
    const seedChunks = drain(subject, 'seed')
    expect(seedChunks).toHaveLength(4)
    expect(seedChunks).not.toContain(7)
    expect(drain(subject, 'peer')).toEqual([7])
  })

  it('leaves a shared chunk to a holder with a free slot, and takes it when every holder is busy', () => {
    const subject = picker(2, {limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addSeed('seed')
    subject.addPartial('peer', [0, 1])
    expect(subject.pick('seed')).toBeUndefined() // the peer has a free slot: it is asked next
    expect(subject.pick('peer')).toEqual({chunk: expect.any(Number), duplicate: false})
    expect(subject.pick('seed')).toEqual({chunk: expect.any(Number), duplicate: false}) // the peer is busy
  })

  it('has a swarm of one seed and six fetchers send each chunk about once, and all finish', () => {
    for (const seed of [1, 2, 3]) {
      const result = simulateSwarm({chunks: 1024, fetchers: 6, uploadPerTick: 2, seed})
      expect(result.finished).toEqual(new Array(6).fill(true))
      expect(result.uploads[0]! / 1024).toBeLessThanOrEqual(1.2)
      // the seed's uplink is the bound (Kumar & Ross): 512 ticks at best
      expect(result.ticks).toBeLessThanOrEqual(1.2 * 512)
    }
  })

  it('lets fetchers finish from each other when every seed leaves and together they hold every chunk', () => {
    const quarter = (fetcher: number): number[] => range(0, 256).filter((chunk) => chunk % 4 === fetcher - 1)
    const result = simulateSwarm({chunks: 256, fetchers: 4, uploadPerTick: 2, seed: 7, seedLeavesAt: 0, initialHave: quarter})
    expect(result.finished).toEqual([true, true, true, true])
    expect(result.uploads[0]).toBe(0)
    // each fetcher needs 192 chunks, the four uplinks send 8 a tick: 96 ticks at best
    expect(result.ticks).toBeLessThanOrEqual(1.25 * 96)
  })

  it('names the chunks nobody has when the seed leaves and the fetchers together lack some', () => {
    const allBut = (fetcher: number): number[] => range(0, 64).filter((chunk) => chunk % 4 === fetcher - 1 && chunk !== 5 && chunk !== 9)
    const result = simulateSwarm({chunks: 64, fetchers: 4, uploadPerTick: 2, seed: 7, seedLeavesAt: 0, initialHave: allBut})
    expect(result.finished).toEqual([false, false, false, false])
    expect(result.missing).toEqual([
      [5, 9],
      [5, 9],
      [5, 9],
      [5, 9],
    ])
  })
})

describe('ChunkPicker: the endgame', () => {
  it('asks an idle source for a chunk already in flight once every chunk is, at most twice, and cancels the loser', () => {
    const subject = picker(3, {limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addSeed('a')
    subject.addSeed('b')
    const first = subject.pick('a')!.chunk
    const second = subject.pick('b')!.chunk
    expect(subject.complete('a', first)).toEqual([])
    const third = subject.pick('a')!.chunk
    expect(new Set([first, second, third]).size).toBe(3)
    subject.addSeed('c')
    expect(subject.pick('c')).toEqual({chunk: second, duplicate: true}) // the one asked longest ago
    subject.addSeed('d')
    expect(subject.pick('d')).toEqual({chunk: third, duplicate: true})
    subject.addSeed('e')
    expect(subject.pick('e')).toBeUndefined() // two copies each already
    expect(subject.complete('c', second)).toEqual([{source: 'b', chunk: second}])
    expect(subject.inFlight('b')).toBe(0)
    expect(subject.complete('a', third)).toEqual([{source: 'd', chunk: third}])
    expect(subject.remaining).toBe(0)
    expect(subject.inFlight()).toBe(0)
  })

  it('does not start the endgame while a chunk some source has still waits', () => {
    const subject = picker(2, {limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addPartial('a', [0])
    subject.addPartial('b', [0, 1])
    expect(subject.pick('a')).toEqual({chunk: 0, duplicate: false})
    subject.addPartial('c', [0])
    expect(subject.pick('c')).toBeUndefined() // chunk 1 waits for b
    expect(subject.pick('b')).toEqual({chunk: 1, duplicate: false})
    expect(subject.pick('c')).toEqual({chunk: 0, duplicate: true})
  })
})

describe('ChunkPicker: sources that fail or leave', () => {
  it('drops a source that sent a bad chunk for good, and gives its chunk to another', () => {
    const subject = picker(1)
    subject.addPartial('liar', [0])
    expect(subject.pick('liar')?.chunk).toBe(0)
    expect(subject.dropSource('liar')).toEqual([0])
    expect(subject.isDropped('liar')).toBe(true)
    expect(subject.pick('liar')).toBeUndefined()
    expect(subject.addPartial('liar', [0])).toBe(false)
    expect(subject.addSeed('liar')).toBe(false)
    subject.addHave('liar', [0])
    expect(subject.missingChunks()).toEqual([0])
    subject.addSeed('honest')
    expect(subject.pick('honest')).toEqual({chunk: 0, duplicate: false})
  })

  it('gives the chunks of a source that left to the others, and names those nobody has', () => {
    const subject = picker(6, {limits: {minInFlight: 2, maxInFlight: 2}})
    subject.addSeed('seed')
    subject.addPartial('peer', [0, 1, 2])
    const held = drain(subject, 'seed')
    expect(held).toHaveLength(2)
    expect(held.every((chunk) => chunk >= 3)).toBe(true)
    expect(subject.removeSource('seed').sort()).toEqual(held.sort())
    expect(subject.missingChunks()).toEqual([3, 4, 5])
    expect(drain(subject, 'peer')).toHaveLength(2)
    subject.addHave('peer', [4])
    expect(subject.missingChunks()).toEqual([3, 5])
    expect(subject.removeSource('nobody')).toEqual([])
  })

  it('takes a verified chunk from a released request as done, and ignores a chunk twice', () => {
    const subject = picker(2)
    subject.addSeed('seed')
    const {chunk} = subject.pick('seed')!
    subject.release('seed', chunk)
    expect(subject.complete('seed', chunk)).toEqual([])
    expect(subject.complete('seed', chunk)).toEqual([])
    expect(subject.remaining).toBe(1)
    expect(subject.pick('seed')?.chunk).toBe(1 - chunk)
  })

  it('refuses chunk indexes outside the game and a source that joins twice', () => {
    const subject = picker(4)
    subject.addPartial('peer')
    const refusal = (act: () => void): string => {
      try {
        act()
      } catch (error) {
        expect(isLanspreadError(error, 'internal')).toBe(true)
        return (error as Error).message
      }
      return 'accepted'
    }
    expect(refusal(() => subject.addHave('peer', [4]))).toContain("chunk 4 is outside the game's 4 chunks")
    expect(refusal(() => subject.complete('peer', -1))).toContain('outside')
    expect(refusal(() => subject.addSeed('peer'))).toContain('joined the chunk picker twice')
    expect(refusal(() => new ChunkPicker({chunkCount: 2, needed: [2], random: Math.random}))).toContain('outside')
    expect(refusal(() => picker(2, {limits: {minInFlight: 3, maxInFlight: 2}}))).toContain('min ≤ max')
  })
})

describe('ChunkPicker: concurrency by measured rate', () => {
  it('shares the total in flight by rate, within the bounds, unmeasured sources at the mean', () => {
    const limits = {...DEFAULT_PICKER_LIMITS, minInFlight: 1, maxInFlight: 6, totalInFlight: 8}
    expect(inFlightAllowance(undefined, {rateSum: 0, rated: 0, sources: 2}, limits)).toBe(4)
    expect(inFlightAllowance(undefined, {rateSum: 0, rated: 0, sources: 1}, limits)).toBe(6)
    expect(inFlightAllowance(300, {rateSum: 400, rated: 2, sources: 2}, limits)).toBe(6)
    expect(inFlightAllowance(100, {rateSum: 400, rated: 2, sources: 2}, limits)).toBe(2)
    expect(inFlightAllowance(0, {rateSum: 400, rated: 2, sources: 2}, limits)).toBe(1)
    expect(inFlightAllowance(undefined, {rateSum: 400, rated: 2, sources: 4}, limits)).toBe(2)
    expect(DEFAULT_PICKER_LIMITS.minInFlight).toBeGreaterThanOrEqual(1)
  })

  it('holds each source to its allowance as rates change', () => {
    const subject = picker(100, {limits: {minInFlight: 1, maxInFlight: 8, totalInFlight: 8}})
    subject.addSeed('fast')
    subject.addSeed('slow')
    subject.setRate('fast', 700)
    subject.setRate('slow', 100)
    expect(subject.allowedInFlight('fast')).toBe(7)
    expect(drain(subject, 'fast')).toHaveLength(7)
    expect(drain(subject, 'slow')).toHaveLength(1)
    subject.setRate('slow', 700)
    expect(subject.allowedInFlight('slow')).toBe(4)
    expect(drain(subject, 'slow')).toHaveLength(3)
    subject.removeSource('fast')
    expect(subject.allowedInFlight('slow')).toBe(8)
    expect(() => subject.setRate('slow', Number.NaN)).toThrow(/finite/)
  })
})

describe('ChunkPicker: cost', () => {
  it('runs a 16k-chunk download from 24 sources with a bounded amount of work per pick', () => {
    const chunkCount = 16 * 1024
    const random = seededRandom(5)
    const subject = picker(chunkCount, {random})
    const sources = range(0, 24).map((index) => `p${index}`)
    for (const [index, source] of sources.entries()) {
      if (index < 2) subject.addSeed(source)
      else
        subject.addPartial(
          source,
          range(0, chunkCount).filter(() => random() < 0.3),
        )
    }
    let picks = 0
    let calls = 0
    for (let round = 0; subject.remaining > 0 && round < 10 * chunkCount; round++) {
      const source = sources[round % sources.length]!
      const pick = subject.pick(source)
      calls++
      if (pick === undefined) continue
      picks++
      subject.complete(source, pick.chunk)
      if (round % 97 === 0) subject.addHave(sources[2 + (round % 22)]!, [Math.floor(random() * chunkCount)])
    }
    expect(subject.remaining).toBe(0)
    expect(picks).toBe(chunkCount)
    // levels + a seed's bounded sample (≤ 16 chunks × 22 partial holders) + the endgame's attempts: never O(chunks)
    expect(subject.steps / calls).toBeLessThan(50)
  })
})

describe('ChunkPicker: a swarm member (self) sharing a seed', () => {
  it('keeps the requests in flight at a partial peer that finished: they are not asked of the seed', () => {
    const subject = picker(8, {self: 'me', limits: {minInFlight: 4, maxInFlight: 4}})
    subject.addSeed('seed')
    subject.addPartial('p', range(0, 8))
    const atP = drain(subject, 'p')
    expect(atP).toHaveLength(4)
    subject.becomeSeed('p')
    expect(subject.inFlight('p')).toBe(4)
    const atSeed = drain(subject, 'seed')
    expect(atSeed.filter((chunk) => atP.includes(chunk))).toEqual([])
    for (const chunk of atP) expect(subject.complete('p', chunk)).toEqual([])
    for (const chunk of atSeed) subject.complete('seed', chunk)
    expect(subject.inFlight()).toBe(0)
  })

  it('asks a seed for one chunk until it sent one, then two, and one again once partial peers are sources', () => {
    const subject = picker(64, {self: 'me'})
    subject.addSeed('seed')
    expect(drain(subject, 'seed')).toHaveLength(1)
    subject.setRate('seed', 1000)
    expect(drain(subject, 'seed')).toHaveLength(1) // two in flight now
    expect(subject.inFlight('seed')).toBe(2)
    subject.addPartial('other', [])
    expect(subject.allowedInFlight('seed')).toBe(1)
  })

  it('takes from the seed only chunks no partial peer holds, busy or not, and no endgame copies', () => {
    const subject = picker(4, {self: 'me', limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addSeed('seed')
    subject.addPartial('p', [0, 1, 3])
    expect(subject.pick('p')).toBeDefined() // p is busy now
    expect(subject.pick('seed')).toEqual({chunk: 2, duplicate: false})
    subject.complete('seed', 2)
    expect(subject.pick('seed')).toBeUndefined()
  })

  it('splits the chunks only the seed has between the downloaders by rank', () => {
    const chunksOf = (self: string): number[] => {
      const subject = picker(60, {self, random: seededRandom(7)})
      subject.addSeed('seed')
      subject.addPartial(self === 'a' ? 'b' : 'a', [])
      subject.addPartial('c', [])
      subject.setRate('seed', 1)
      const picked: number[] = []
      for (let round = 0; round < 10; round++) {
        const pick = subject.pick('seed')
        if (pick === undefined) break
        picked.push(pick.chunk)
        subject.complete('seed', pick.chunk)
      }
      return picked
    }
    expect(chunksOf('a').every((chunk) => chunk % 3 === 0)).toBe(true)
    expect(chunksOf('b').every((chunk) => chunk % 3 === 1)).toBe(true)
  })
})

describe('ChunkPicker: another downloader slice', () => {
  it('with its own slice done, takes from the top of a lagging slice while it has requests in flight', () => {
    // a, b and c split 30 chunks by rank (0, 1, 2); a's slice is on disk already and c holds its own.
    const needed = range(0, 30).filter((chunk) => chunk % 3 !== 0)
    const subject = picker(30, {self: 'a', needed, limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addSeed('seed')
    subject.addPartial('b', [])
    subject.addPartial(
      'c',
      needed.filter((chunk) => chunk % 3 === 2),
    )
    subject.setRate('seed', 1)
    expect(subject.pick('c')).toBeDefined()
    // b's slice 1, 4, …, 28 lags: its chunks go round c and a (1 to c, 4 to a, …, 28 to a), so a takes 28.
    expect(subject.pick('seed')).toEqual({chunk: 28, duplicate: false})
  })

  it('is left to its owner while this download has requests in flight, and taken when it has none', () => {
    const subject = picker(4, {self: 'a', limits: {minInFlight: 1, maxInFlight: 1}})
    subject.addSeed('seed')
    subject.addPartial('b', [])
    subject.addPartial('p', [])
    subject.setRate('seed', 1)
    // a's slice of 4 chunks between a, b and p: chunks 0 and 3
    const first = subject.pick('seed')!.chunk
    subject.complete('seed', first)
    const second = subject.pick('seed')!.chunk
    expect([first, second].sort()).toEqual([0, 3])
    subject.addHave('p', [1])
    expect(subject.pick('p')).toEqual({chunk: 1, duplicate: false})
    subject.complete('seed', second)
    expect(subject.pick('seed')).toBeUndefined() // chunk 2 is b's, and a request (to p) is in flight
    subject.complete('p', 1)
    expect(subject.pick('seed')).toEqual({chunk: 2, duplicate: false})
  })
})
