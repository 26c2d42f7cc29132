import {describe, expect, expectTypeOf, it} from 'vitest'
import {GameSummarySchema, type GameSummary} from '../../src/library/schemas.js'
import {WireGameSummarySchema, type WireGameSummary} from '../../src/protocol/game-summary.js'

// The wire has its own GameSummary (protocol imports nothing of the library); the library
// hands its summaries over as they are, so the two must stay the same shape.
describe('the wire GameSummary', () => {
  it('has the fields of the library GameSummary, both ways', () => {
    expectTypeOf<GameSummary>().toEqualTypeOf<WireGameSummary>()
    expect(Object.keys(WireGameSummarySchema.shape).sort()).toEqual(Object.keys(GameSummarySchema.shape).sort())
  })

  it('refuses what the library refuses', () => {
    const summary = {
      id: 'g',
      name: 'G',
      eti_version: null,
      size: 1,
      downloaded: true,
      installed: false,
      manifest_hash: 'h',
      availability: 'ready',
      needs_recovery: false,
    }
    for (const bad of [
      {...summary, id: '.g'},
      {...summary, size: -1},
      {...summary, availability: 'gone'},
    ]) {
      expect(WireGameSummarySchema.safeParse(bad).success).toBe(false)
      expect(GameSummarySchema.safeParse(bad).success).toBe(false)
    }
    expect(WireGameSummarySchema.parse(summary)).toEqual(GameSummarySchema.parse(summary))
  })
})
