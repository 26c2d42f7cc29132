import {describe, expect, it} from 'vitest'
import type {GameSummary} from '../../src/library/summary.js'
import {RevisionHistory, mergeSteps} from '../../src/sync/revision-history.js'

function game(id: string, size = 1): GameSummary {
  return {id, name: id, eti_version: '1', size, downloaded: true, installed: false, manifest_hash: 'h', availability: 'ready', needs_recovery: false}
}

describe('RevisionHistory', () => {
  it('merges the steps since a revision into one delta, newest summary winning', () => {
    const history = new RevisionHistory()
    history.record({from_rev: 1, to_rev: 2, added: [game('a')], updated: [], removed: []})
    history.record({from_rev: 2, to_rev: 3, added: [], updated: [game('a', 2)], removed: ['b']})
    history.record({from_rev: 3, to_rev: 4, added: [game('c')], updated: [], removed: []})
    expect(history.since(2)).toEqual({from_rev: 2, to_rev: 4, added: [game('c')], updated: [game('a', 2)], removed: ['b']})
    expect(history.since(1)?.added).toEqual([game('a', 2), game('c')])
  })

  it('has nothing for a revision older than it holds, or one that never was', () => {
    const history = new RevisionHistory(2)
    for (let rev = 1; rev <= 5; rev++) history.record({from_rev: rev, to_rev: rev + 1, added: [], updated: [], removed: []})
    expect(history.since(3)).toBeUndefined()
    expect(history.since(4)?.to_rev).toBe(6)
    expect(history.since(99)).toBeUndefined()
  })

  it('starts afresh when a step does not continue the last one', () => {
    const history = new RevisionHistory()
    history.record({from_rev: 1, to_rev: 2, added: [], updated: [], removed: []})
    history.record({from_rev: 7, to_rev: 8, added: [], updated: [], removed: []})
    expect(history.since(1)).toBeUndefined()
    expect(history.since(7)?.to_rev).toBe(8)
  })

  it('sends a game added and removed inside the range as removed', () => {
    const merged = mergeSteps([
      {from_rev: 1, to_rev: 2, added: [game('x')], updated: [], removed: []},
      {from_rev: 2, to_rev: 3, added: [], updated: [], removed: ['x']},
    ])
    expect(merged).toEqual({from_rev: 1, to_rev: 3, added: [], updated: [], removed: ['x']})
  })
})
