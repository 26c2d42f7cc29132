import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library, type LibraryComponents, type LibraryDelta} from '../../src/library/library.js'
import {libraryDigest, nextRevision} from '../../src/library/library-revision.js'
import type {GameSummary} from '../../src/library/summary.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

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

describe('a stored library_digest', () => {
  const POISON = 'f'.repeat(64)
  /** Every save writes index.json whole (no journal), so a test can replace the stored digest there. */
  const checkpointOnly: LibraryComponents = {indexStore: {compactAt: () => 0}}

  async function scanFresh(lib: TempLibrary, components: LibraryComponents = {}) {
    return (await Library.open(lib.paths, {...checkpointOnly, ...components})).refresh()
  }

  async function editIndex(lib: TempLibrary, edit: (index: Record<string, unknown>) => void): Promise<void> {
    const index = JSON.parse(await fs.readFile(lib.paths.indexPath, 'utf8')) as Record<string, unknown>
    edit(index)
    await fs.writeFile(lib.paths.indexPath, JSON.stringify(index))
  }

  /** Replaces the stored digest with one no library has: a refresh that reuses it shows it. */
  const poison = (lib: TempLibrary) => editIndex(lib, (index) => (index.library_digest = POISON))

  async function setup(): Promise<TempLibrary> {
    const lib = await makeTempLibrary([
      {id: 'a', name: 'A'},
      {id: 'b', name: 'B'},
    ])
    await lib.writeGame('a', {'version.ini': '1', 'a.eti': 'x'})
    await lib.writeGame('b', {'version.ini': '2', 'b.eti': 'y'})
    await scanFresh(lib)
    return lib
  }

  it('is reused, not computed, by a fresh refresh in which none of its inputs changed', async () => {
    const lib = await setup()
    await poison(lib)
    const result = await scanFresh(lib)
    expect([result.library_digest, result.library_rev]).toEqual([POISON, 1])
  })

  const installing = {activeOperation: (id: string) => (id === 'a' ? ('install' as const) : undefined)}
  const CHANGES: [string, (lib: TempLibrary) => Promise<unknown>, LibraryComponents?][] = [
    ['a game changed', (lib) => fs.writeFile(lib.file('a', 'a.eti'), 'bigger')],
    ['a game appeared', (lib) => lib.writeGame('c', {'c.eti': 'c'})],
    ['a game was removed', (lib) => fs.rm(lib.file('b'), {recursive: true})],
    [
      'the catalog renamed a game',
      (lib) =>
        lib.writeCatalog([
          {id: 'a', name: 'A renamed'},
          {id: 'b', name: 'B'},
        ]),
    ],
    ['the catalog dropped a game', (lib) => lib.writeCatalog([{id: 'a', name: 'A'}])],
    ['needs_recovery flipped (our staging folder appeared)', (lib) => lib.writeGame('a', {'.local.installing/.lanspread_owned': ''})],
    ['an operation started', async () => undefined, {operations: installing}],
    [
      'an operation finished',
      async (lib) => {
        await scanFresh(lib, {operations: installing})
        await poison(lib)
      },
    ],
    [
      'the epoch changed',
      async (lib) => {
        const epoch = 'c'.repeat(32)
        await editIndex(lib, (index) => (index.library_epoch = epoch))
        const rev = JSON.parse(await fs.readFile(lib.paths.libraryRevPath, 'utf8')) as Record<string, unknown>
        await fs.writeFile(lib.paths.libraryRevPath, JSON.stringify({...rev, library_epoch: epoch}))
      },
    ],
    ['the stored stamp is another one (another digest encoding)', (lib) => editIndex(lib, (index) => (index.digest_stamp = '0'.repeat(32)))],
    ['the index has no stamp (written by an older build)', (lib) => editIndex(lib, (index) => delete index.digest_stamp)],
  ]

  it.each(CHANGES)('is computed again after %s', async (_, change, components) => {
    const lib = await setup()
    await poison(lib)
    await change(lib)
    const result = await scanFresh(lib, components)
    expect(result.library_digest).not.toBe(POISON)
    expect(result.library_digest).toBe(libraryDigest(result.games))
  })

  it('is computed again in a running library when an operation starts or finishes', async () => {
    const lib = await setup()
    const active = new Map<string, 'install'>()
    const library = await Library.open(lib.paths, {operations: {activeOperation: (id) => active.get(id)}})
    const before = await library.refresh()
    active.set('a', 'install')
    const during = await library.refresh()
    active.delete('a')
    const after = await library.refresh()
    expect([before.library_rev, during.library_rev, after.library_rev]).toEqual([1, 2, 3])
    for (const result of [before, during, after]) expect(result.library_digest).toBe(libraryDigest(result.games))
    expect(after.library_digest).toBe(before.library_digest)
  })
})
