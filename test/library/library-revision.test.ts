import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library, type LibraryDelta} from '../../src/library/library.js'
import {libraryDigest, nextRevision} from '../../src/library/library-revision.js'
import type {GameSummary} from '../../src/library/summary.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const summary = (id: string, size = 1): GameSummary => ({
  id,
  name: id,
  eti_version: '1',
  size,
  downloaded: true,
  installed: false,
  manifest_hash: 'h',
  availability: 'ready',
  needs_recovery: false,
})

describe('library digest', () => {
  it('does not depend on the order of the summaries', () => {
    expect(libraryDigest([summary('a'), summary('b')])).toBe(libraryDigest([summary('b'), summary('a')]))
  })

  it('changes when any field of any summary changes', () => {
    expect(libraryDigest([summary('a', 1)])).not.toBe(libraryDigest([summary('a', 2)]))
    expect(libraryDigest([summary('a')])).not.toBe(libraryDigest([{...summary('a'), availability: 'local_only'}]))
  })

  it('moves the revision by one only when the digest changed', () => {
    expect(nextRevision(4, 'x', 'x')).toEqual({library_rev: 4, library_digest: 'x', changed: false})
    expect(nextRevision(4, 'x', 'y')).toEqual({library_rev: 5, library_digest: 'y', changed: true})
    expect(nextRevision(0, null, 'y').library_rev).toBe(1)
  })
})

describe('library_rev', () => {
  async function setup() {
    const lib = await makeTempLibrary([{id: 'a', name: 'A'}])
    await lib.writeGame('a', {'version.ini': '1', 'a.eti': 'x'})
    return lib
  }

  it('bumps once per refresh that changed a summary, and never otherwise', async () => {
    const lib = await setup()
    const library = await Library.open(lib.paths)
    expect((await library.refresh()).library_rev).toBe(1)
    expect((await library.refresh()).library_rev).toBe(1)
    expect((await library.refresh({full: true})).library_rev).toBe(1)
    // Two changes in one refresh: one bump.
    await fs.writeFile(lib.file('a', 'a.eti'), 'xyz')
    await lib.writeGame('b', {'b.eti': 'b'})
    expect((await library.refresh()).library_rev).toBe(2)
    expect((await library.refresh()).library_rev).toBe(2)
  })

  it('does not bump for a touch that changes no summary', async () => {
    const lib = await setup()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.utimes(lib.file('a', 'a.eti'), 12345, 12345)
    const result = await library.refresh()
    expect(result.report.rescanned).toEqual(['a'])
    expect(result.library_rev).toBe(1)
  })

  it('keeps counting across restarts and bumps for catalog changes made while stopped', async () => {
    const lib = await setup()
    await (await Library.open(lib.paths)).refresh()
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    expect((await (await Library.open(lib.paths)).refresh()).library_rev).toBe(2)
    expect((await (await Library.open(lib.paths)).refresh()).library_rev).toBe(2)
    await lib.writeCatalog([{id: 'a', name: 'A renamed'}])
    expect((await (await Library.open(lib.paths)).refresh()).library_rev).toBe(3)
  })

  it('emits one delta per revision with added, updated and removed games', async () => {
    const lib = await setup()
    await lib.writeGame('gone', {'x.eti': 'x'})
    const library = await Library.open(lib.paths)
    await library.refresh()
    const deltas: LibraryDelta[] = []
    library.on('changed', (delta) => deltas.push(delta))
    await fs.writeFile(lib.file('a', 'a.eti'), 'bigger')
    await fs.rm(lib.file('gone'), {recursive: true})
    await lib.writeGame('new', {'n.eti': 'n'})
    await library.refresh()
    await library.refresh()
    expect(deltas).toHaveLength(1)
    expect(deltas[0]).toMatchObject({from_rev: 1, to_rev: 2, removed: ['gone']})
    expect(deltas[0]!.added.map((g) => g.id)).toEqual(['new'])
    expect(deltas[0]!.updated.map((g) => [g.id, g.size])).toEqual([['a', 7]])
  })

  it('reports an active download as downloading, another operation as local_only', async () => {
    const lib = await setup()
    const active = new Map<string, 'download' | 'install'>([['a', 'download']])
    const library = await Library.open(lib.paths, {operations: {activeOperation: (id) => active.get(id)}})
    expect((await library.refresh()).games[0]!.availability).toBe('downloading')
    active.set('a', 'install')
    const during = await library.refresh()
    expect([during.games[0]!.availability, during.library_rev]).toEqual(['local_only', 2])
    active.delete('a')
    expect((await library.refresh()).games[0]!.availability).toBe('ready')
  })
})
