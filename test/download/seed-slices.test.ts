// Which chunk only the seeds have a swarm member asks the shared seed for (record 0039): its
// own slice lowest first, else the top of a lagging slice, thieves spread by rank.
import {describe, expect, it} from 'vitest'
import {OWNER_KEEPS, seedOnlyPick} from '../../src/download/seed-slices.js'

const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, index) => from + index)

describe('seedOnlyPick', () => {
  it('takes the lowest chunk of its own slice, whatever order the candidates come in', () => {
    expect(seedOnlyPick([13, 7, 1, 4, 19, 10], {rank: 1, of: 3})).toBe(1)
    expect(seedOnlyPick([20, 14, 8, 2, 5], {rank: 2, of: 3})).toBe(2)
  })

  it('with its slice done, takes the top chunk of the slice whose owner comes right before it', () => {
    // Slice 0 of 3 (owner rank 0) lags: 0, 3, 6, 9, 12 wait. Rank 1 comes right after its owner.
    expect(seedOnlyPick([0, 3, 6, 9, 12], {rank: 1, of: 3})).toBe(12)
  })

  it('gives two thieves of one slice different chunks, by how far behind its owner each is', () => {
    const lagging = range(0, 8).map((k) => k * 4) // slice 0 of 4: 0, 4, …, 28
    const picks = [1, 2, 3].map((rank) => seedOnlyPick(lagging, {rank, of: 4}))
    expect(picks).toEqual([28, 24, 20])
  })

  it(`never takes one of the owner's ${OWNER_KEEPS} lowest chunks (in flight or not announced yet)`, () => {
    expect(seedOnlyPick([0, 3], {rank: 1, of: 3})).toBeUndefined()
    expect(seedOnlyPick([0, 3, 6], {rank: 1, of: 3})).toBe(6)
    // The thief two behind takes the second from the top: that is one of the owner's two here.
    expect(seedOnlyPick([0, 3, 6], {rank: 2, of: 3})).toBeUndefined()
  })

  it('takes from the slice with most chunks left among those it may take from', () => {
    // Slices of 4: slice 2 has five chunks left, slice 3 three. Rank 0 comes 2 after slice 2's owner, 1 after slice 3's.
    const candidates = [2, 6, 10, 14, 18, 3, 7, 11]
    expect(seedOnlyPick(candidates, {rank: 0, of: 4})).toBe(14)
  })

  it('finds nothing when no chunk is left to take', () => {
    expect(seedOnlyPick([], {rank: 0, of: 2})).toBeUndefined()
  })
})
