import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library} from '../../src/library/library.js'
import {stampTree} from '../helpers/stamps.js'
import {makeTempLibrary} from '../helpers/temp-library.js'
import {fingerprintParts} from '../helpers/fingerprint-parts.js'

async function scannedTwice() {
  const lib = await makeTempLibrary([{id: 'a', name: 'A'}])
  await lib.writeGame('a', {'version.ini': '1', 'a.eti': 'x'})
  await (await Library.open(lib.paths)).refresh()
  await fs.writeFile(lib.file('a', 'a.eti'), 'xx')
  await (await Library.open(lib.paths)).refresh() // library_rev 2
  return lib
}

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'))

function collect() {
  const warnings: string[] = []
  return {warnings, logger: {warn: (m: string) => warnings.push(m)}}
}

describe('index.json', () => {
  it('holds library_rev, library_epoch and per game its fingerprint and summary fields, not its manifest; index.log the change since', async () => {
    const lib = await scannedTwice()
    const index = await readJson(lib.paths.indexPath)
    expect(index).toMatchObject({
      version: 3,
      library_rev: 1,
      library_epoch: expect.stringMatching(/^[0-9a-f]{32}$/),
      journal_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    })
    expect(Object.keys(index.games)).toEqual(['a'])
    expect(Object.keys(index.games.a).sort()).toEqual(['eti_version', 'file_count', 'fingerprint', 'manifest_hash', 'marks', 'needs_recovery', 'size'])
    const records = (await fs.readFile(`${lib.paths.stateDir}/index.log`, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records).toEqual([
      {
        journal_id: index.journal_id,
        library_epoch: index.library_epoch,
        library_rev: 2,
        library_digest: expect.any(String),
        digest_stamp: expect.any(String),
        games: {a: expect.objectContaining({size: 3})},
        removed: [],
      },
    ])
    const game = await readJson(`${lib.paths.gameFilesDir}/a.json`)
    expect(game.manifest.files.map((f: {path: string}) => f.path)).toEqual(['a.eti', 'version.ini'])
    expect(await readJson(lib.paths.libraryRevPath)).toEqual({library_rev: 2, library_epoch: index.library_epoch})
  })

  it('keeps one library_epoch across restarts and carries it in snapshots, results and deltas', async () => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    const library = await Library.open(lib.paths)
    expect(library.snapshot().library_epoch).toBe(library_epoch)
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxx')
    const result = await library.refresh()
    expect(result).toMatchObject({library_epoch, library_rev: 3, delta: {library_epoch, from_rev: 2, to_rev: 3}})
  })

  it.each([
    ['garbage', 'this is {not json'],
    ['a truncated document', '{"version":2,"library_rev":2,"games":{"a":'],
    ['a valid JSON of the wrong shape', '{"version":2,"library_rev":2,"games":[1,2,3]}'],
    ['an index from a future version', '{"version":99,"library_rev":2,"games":{}}'],
    ['an empty file', ''],
  ])('is rebuilt with a warning from %s, and library_rev still moves forward in the same epoch', async (_, content) => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.writeFile(lib.paths.indexPath, content)
    const {warnings, logger} = collect()
    const library = await Library.open(lib.paths, {logger})
    const result = await library.refresh()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(lib.paths.indexPath)
    expect(result).toMatchObject({library_rev: 3, library_epoch})
    expect(result.games.map((g) => g.id)).toEqual(['a'])
    // The broken file is kept for inspection, not lost.
    expect(await fs.readFile(`${lib.paths.indexPath}.corrupt`, 'utf8')).toBe(content)
  })

  it('keeps library_rev from going backwards when index.json is lost with its revision', async () => {
    const lib = await scannedTwice()
    await fs.writeFile(lib.paths.indexPath, '{"version":2,"library_rev":"oops"')
    const result = await (await Library.open(lib.paths, {logger: {warn: () => {}}})).refresh()
    expect(result.library_rev).toBeGreaterThan(2)
  })

  it('continues the revision and the epoch from library-rev.json when index.json is deleted', async () => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.rm(lib.paths.indexPath)
    const result = await (await Library.open(lib.paths)).refresh()
    expect(result).toMatchObject({library_rev: 3, library_epoch})
  })

  it('takes the revision file over an older index (a crash between the two writes)', async () => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.writeFile(lib.paths.libraryRevPath, JSON.stringify({library_rev: 10, library_epoch}))
    const library = await Library.open(lib.paths)
    expect(library.libraryRev).toBe(10)
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxx')
    expect((await library.refresh()).library_rev).toBe(11)
  })

  it('picks up an index another process saved meanwhile', async () => {
    const lib = await scannedTwice()
    const first = await Library.open(lib.paths)
    const second = await Library.open(lib.paths)
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxxx')
    expect((await second.refresh()).library_rev).toBe(3)
    // `first` still holds rev 2 in memory; it must build on rev 3, not write rev 3 again.
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxxxx')
    expect((await first.refresh()).library_rev).toBe(4)
  })
})

describe('library-rev.json', () => {
  it.each([
    ['garbage', 'garbage{'],
    ['a revision that is not a number', '{"library_rev":"7"}'],
    ['an empty file', ''],
  ])('is repaired at the next scan with a warning when it holds %s', async (_, content) => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.writeFile(lib.paths.libraryRevPath, content)
    const {warnings, logger} = collect()
    const result = await (await Library.open(lib.paths, {logger})).refresh()
    expect(warnings).toEqual([expect.stringContaining(lib.paths.libraryRevPath)])
    // Nothing changed in the games, yet the file is rewritten; the index proves the revision.
    expect(result).toMatchObject({library_rev: 2, library_epoch})
    expect(await readJson(lib.paths.libraryRevPath)).toEqual({library_rev: 2, library_epoch})
  })

  it('garbled, then index.json deleted: the revision cannot be proven, so a new epoch starts', async () => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.writeFile(lib.paths.libraryRevPath, 'garbage{')
    await fs.rm(lib.paths.indexPath)
    const {warnings, logger} = collect()
    const result = await (await Library.open(lib.paths, {logger})).refresh()
    // The count restarts, but in another epoch: peers see the new epoch and take a snapshot.
    expect(result.library_rev).toBe(1)
    expect(result.library_epoch).toMatch(/^[0-9a-f]{32}$/)
    expect(result.library_epoch).not.toBe(library_epoch)
    expect(warnings.join('\n')).toMatch(/new library_epoch/)
    expect(await readJson(lib.paths.libraryRevPath)).toEqual({library_rev: 1, library_epoch: result.library_epoch})
  })

  it('disagreeing with index.json about the epoch starts a new epoch without moving the revision back', async () => {
    const lib = await scannedTwice()
    const {library_epoch} = await readJson(lib.paths.indexPath)
    await fs.writeFile(lib.paths.libraryRevPath, JSON.stringify({library_rev: 5, library_epoch: 'f'.repeat(32)}))
    const result = await (await Library.open(lib.paths, {logger: {warn: () => {}}})).refresh()
    expect(result.library_epoch).not.toBe(library_epoch)
    expect(result.library_epoch).not.toBe('f'.repeat(32))
    expect(result.library_rev).toBeGreaterThanOrEqual(5)
  })
})

describe('a version-1 index', () => {
  async function v1Library() {
    const lib = await makeTempLibrary([{id: 'a', name: 'A'}])
    await lib.writeGame('a', {'version.ini': '1', 'a.eti': 'x'})
    await (await Library.open(lib.paths)).refresh()
    await (await Library.open(lib.paths)).content('a')
    // Rewrite what the scan saved in the layout of version 1: one file with every manifest.
    const index = await readJson(lib.paths.indexPath)
    const game = await readJson(`${lib.paths.gameFilesDir}/a.json`)
    const {fingerprint, eti_version, size, manifest_hash} = index.games.a
    const v1 = {
      version: 1,
      library_rev: 7,
      library_digest: 'old',
      games: {a: {fingerprint: fingerprintParts(fingerprint), eti_version, size, manifest: game.manifest, manifest_hash, content_hashes: game.content_hashes}},
    }
    await fs.rm(lib.paths.gameFilesDir, {recursive: true})
    await fs.writeFile(lib.paths.indexPath, JSON.stringify(v1))
    await fs.writeFile(lib.paths.libraryRevPath, JSON.stringify({library_rev: 7}))
    return {lib, hashes: game.content_hashes}
  }

  it('is migrated: revision kept (never backwards), manifests and hashes moved to games/, no game walked', async () => {
    const {lib, hashes} = await v1Library()
    const {warnings, logger} = collect()
    const result = await (await Library.open(lib.paths, {logger})).refresh()
    expect(warnings).toEqual([])
    expect(result.report).toMatchObject({reused: 1, rescanned: []})
    expect(result.library_rev).toBeGreaterThanOrEqual(7)
    const index = await readJson(lib.paths.indexPath)
    expect(index).toMatchObject({version: 3, library_rev: result.library_rev, library_epoch: result.library_epoch})
    expect(index.games.a.manifest).toBeUndefined()
    expect((await readJson(`${lib.paths.gameFilesDir}/a.json`)).content_hashes).toEqual(hashes)
  })

  it('is read (not written) by a read-only library', async () => {
    const {lib, hashes} = await v1Library()
    const before = await stampTree(lib.paths.stateDir)
    const library = await Library.open(lib.paths, {readOnly: true})
    expect((await library.refresh()).games.map((g) => g.id)).toEqual(['a'])
    expect((await library.storedGame('a'))!.content_hashes).toEqual(hashes)
    expect(await stampTree(lib.paths.stateDir)).toEqual(before)
  })
})

describe('a read-only library (recover --dry-run)', () => {
  it('writes nothing over a corrupt index: no set-aside, no repair, no lock', async () => {
    const lib = await scannedTwice()
    await fs.writeFile(lib.paths.indexPath, '{broken')
    await fs.writeFile(lib.paths.libraryRevPath, 'also broken')
    const before = await stampTree(lib.paths.stateDir)
    const library = await Library.open(lib.paths, {readOnly: true, logger: {warn: () => {}}})
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    const result = await library.refresh()
    expect(result.games.map((g) => [g.id, g.size])).toEqual([['a', 8]])
    await library.content('a')
    expect(await stampTree(lib.paths.stateDir)).toEqual(before)
  })

  it('creates no state folder in a games folder never scanned', async () => {
    const lib = await makeTempLibrary([{id: 'a', name: 'A'}])
    await lib.writeGame('a', {'a.eti': 'x'})
    const library = await Library.open(lib.paths, {readOnly: true})
    expect((await library.refresh()).games).toHaveLength(1)
    await expect(fs.access(lib.paths.stateDir)).rejects.toThrow()
  })
})
