// Which chunk only the seeds have a swarm member asks the shared seed for (record 0039): its
// own slice lowest first, else the top of a lagging slice, each chunk of it designated to one thief.
import {describe, expect, it} from 'vitest'
import {OWNER_KEEPS, seedOnlyPick, thiefOf} from '../../src/download/seed-slices.js'

const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, index) => from + index)

describe('seedOnlyPick', () => {
  it('takes the lowest chunk of its own slice, whatever order the candidates come in', () => {
    expect(seedOnlyPick([13, 7, 1, 4, 19, 10], {rank: 1, of: 3})).toBe(1)
    expect(seedOnlyPick([20, 14, 8, 2, 5], {rank: 2, of: 3})).toBe(2)
  })

  it('with its slice done, takes the highest chunk of a lagging slice designated to it', () => {
    // Slice 0 of 3 (owner rank 0) lags: 0, 3, 6, 9, 12 wait. Its chunks go round ranks 1, 2, 1, 2, …
    expect([0, 3, 6, 9, 12].map((chunk) => thiefOf(chunk, 3))).toEqual([1, 2, 1, 2, 1])
    expect(seedOnlyPick([0, 3, 6, 9, 12], {rank: 1, of: 3})).toBe(12)
    expect(seedOnlyPick([0, 3, 6, 9, 12], {rank: 2, of: 3})).toBe(9)
  })

  it('gives the thieves of one slice different chunks as the slice shrinks under them', () => {
    const slice = range(0, 12).map((k) => k * 4) // slice 0 of 4: 0, 4, …, 44
    const first = [1, 2, 3].map((rank) => seedOnlyPick(slice, {rank, of: 4}))
    expect(first).toEqual([36, 40, 44])
    // Rank 1's chunk landed: it sees the slice without it, the others' chunks still there (in
    // flight, not announced yet). Its next chunk is none of theirs.
    const next = seedOnlyPick(
      slice.filter((chunk) => chunk !== first[0]),
      {rank: 1, of: 4},
    )
    expect(next).toBe(24)
    expect(first).not.toContain(next)
  })

  it(`never takes one of the owner's ${OWNER_KEEPS} lowest chunks (in flight or not announced yet)`, () => {
    expect(seedOnlyPick([0, 3], {rank: 1, of: 3})).toBeUndefined()
    expect(seedOnlyPick([0, 3, 6], {rank: 1, of: 3})).toBe(6)
    // Chunk 6 is rank 1's; rank 2's only chunk of the three is 3, one of the owner's two.
    expect(seedOnlyPick([0, 3, 6], {rank: 2, of: 3})).toBeUndefined()
  })

  it('takes from the slice with most chunks left among those it may take from', () => {
    // Slices of 4. Slice 2 (2, 6, 10, 14, 18) goes round ranks 3, 0, 1, 3, 0; slice 3 (3, 7, …, 23) round 0, 1, 2, 0, 1, 2.
    const slice2 = [2, 6, 10, 14, 18]
    const slice3 = [3, 7, 11, 15, 19, 23]
    expect(slice3.map((chunk) => thiefOf(chunk, 4))).toEqual([0, 1, 2, 0, 1, 2])
    expect(seedOnlyPick([...slice2, ...slice3], {rank: 0, of: 4})).toBe(15)
    // Without 15 rank 0's only chunk of slice 3 is 3, one of its owner's two: slice 2's 18 then.
    expect(seedOnlyPick([...slice2, ...slice3.filter((chunk) => chunk !== 15)], {rank: 0, of: 4})).toBe(18)
  })

  it('leaves every chunk to a lone downloader', () => {
    expect(thiefOf(5, 1)).toBe(0)
    expect(seedOnlyPick([5, 2, 9], {rank: 0, of: 1})).toBe(2)
  })

  it('finds nothing when no chunk is left to take', () => {
    expect(seedOnlyPick([], {rank: 0, of: 2})).toBeUndefined()
  })
})
