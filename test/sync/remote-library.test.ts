import {describe, expect, it} from 'vitest'
import {libraryDigest} from '../../src/library/library-revision.js'
import type {GameSummary} from '../../src/library/summary.js'
import {RemoteLibrary} from '../../src/sync/remote-library.js'

function game(id: string, size = 1): GameSummary {
  return {id, name: id, eti_version: '1', size, downloaded: true, installed: false, manifest_hash: 'h', availability: 'ready', needs_recovery: false}
}

function snapshotOf(games: GameSummary[], rev: number, epoch = 'e1') {
  return {library_epoch: epoch, library_rev: rev, library_digest: libraryDigest(games), games}
}

function deltaTo(after: GameSummary[], from: number, to: number, change: {added?: GameSummary[]; updated?: GameSummary[]; removed?: string[]}, epoch = 'e1') {
  return {
    library_epoch: epoch,
    from_rev: from,
    to_rev: to,
    added: change.added ?? [],
    updated: change.updated ?? [],
    removed: change.removed ?? [],
    library_digest: libraryDigest(after),
  }
}

describe('RemoteLibrary', () => {
  it('applies a snapshot, then a delta on top of exactly that revision', () => {
    const remote = new RemoteLibrary()
    expect(remote.applySnapshot(snapshotOf([game('a'), game('b')], 3))).toBe('applied')
    expect(remote.applyDelta(deltaTo([game('a', 9), game('c')], 3, 4, {added: [game('c')], updated: [game('a', 9)], removed: ['b']}))).toBe('applied')
    expect(remote.list().map((g) => [g.id, g.size])).toEqual([
      ['a', 9],
      ['c', 1],
    ])
    expect(remote.position?.library_rev).toBe(4)
  })

  it('ignores a delta it already has (idempotent) and asks for a snapshot on a gap', () => {
    const remote = new RemoteLibrary()
    remote.applySnapshot(snapshotOf([game('a')], 5))
    expect(remote.applyDelta(deltaTo([game('a')], 4, 5, {}))).toBe('stale')
    expect(remote.applyDelta(deltaTo([game('a'), game('z')], 6, 7, {added: [game('z')]}))).toBe('gap')
    expect(remote.list().map((g) => g.id)).toEqual(['a'])
  })

  it('refuses a delta from another epoch and one whose result does not match its digest', () => {
    const remote = new RemoteLibrary()
    remote.applySnapshot(snapshotOf([game('a')], 5))
    expect(remote.applyDelta(deltaTo([game('b')], 5, 6, {added: [game('b')]}, 'e2'))).toBe('epoch_changed')
    const lying = {...deltaTo([game('a'), game('b')], 5, 6, {added: [game('b')]}), library_digest: libraryDigest([game('q')])}
    expect(remote.applyDelta(lying)).toBe('digest_mismatch')
    expect(remote.position?.library_rev).toBe(5)
    expect(remote.list().map((g) => g.id)).toEqual(['a'])
  })

  it('refuses a snapshot whose games do not match its digest', () => {
    const remote = new RemoteLibrary()
    expect(remote.applySnapshot({...snapshotOf([game('a')], 1), library_digest: libraryDigest([])})).toBe('digest_mismatch')
    expect(remote.position).toBeUndefined()
  })

  it('ignores a snapshot of its epoch older than what it holds (overtaken by a delta), and takes one of a new epoch', () => {
    const remote = new RemoteLibrary()
    remote.applySnapshot(snapshotOf([game('a'), game('b')], 5))
    expect(remote.applySnapshot(snapshotOf([game('a')], 4))).toBe('stale')
    expect(remote.position?.library_rev).toBe(5)
    expect(remote.applySnapshot(snapshotOf([game('a')], 1, 'e2'))).toBe('applied')
    expect(remote.list().map((g) => g.id)).toEqual(['a'])
  })

  it('knows when it is current', () => {
    const remote = new RemoteLibrary()
    const snap = snapshotOf([game('a')], 2)
    remote.applySnapshot(snap)
    expect(remote.isCurrent('e1', snap.library_digest)).toBe(true)
    expect(remote.isCurrent('e2', snap.library_digest)).toBe(false)
  })
})
