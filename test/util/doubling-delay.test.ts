import {describe, expect, it} from 'vitest'
import {doublingDelay} from '../../src/util/doubling-delay.js'

describe('doublingDelay', () => {
  it('doubles from the first wait and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((step) => doublingDelay(250, 4000, step))).toEqual([250, 500, 1000, 2000, 4000, 4000])
  })

  it('stays finite however many steps, and treats a negative step as the first', () => {
    expect(doublingDelay(1, 60_000, 10_000)).toBe(60_000)
    expect(doublingDelay(100, 1000, -3)).toBe(100)
  })
})
