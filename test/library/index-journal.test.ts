// index.log, the journal beside index.json: a change writes O(that game), a replay equals the
// full index, a torn last record is ignored and cleaned up, a damaged journal rebuilds without
// moving library_rev back, a compaction cut at any step loads to the same library, and no
// write goes through a link planted at index.log.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {IndexStore, type IndexFailpoint, type IndexStoreOptions} from '../../src/library/index-store.js'
import {Library, type LibraryComponents} from '../../src/library/library.js'
import {JournalRecordSchema} from '../../src/library/schemas.js'
import {parseJournal} from '../../src/library/index-journal.js'
import {libraryDigest} from '../../src/library/library-revision.js'
import {stampTree} from '../helpers/stamps.js'
import {makeTempDir, makeTempLibrary, type TempLibrary} from '../helpers/temp-library.js'
import {fingerprintParts} from '../helpers/fingerprint-parts.js'

const readJson = async (file: string) => JSON.parse(await fs.readFile(file, 'utf8'))
const journalOf = (lib: TempLibrary) => path.join(lib.paths.stateDir, 'index.log')
const quiet = {warn: () => {}}

function collect() {
  const warnings: string[] = []
  return {warnings, logger: {warn: (m: string) => warnings.push(m)}}
}

async function library(ids: string[], components: LibraryComponents = {}) {
  const lib = await makeTempLibrary(ids.map((id) => ({id, name: id.toUpperCase()})))
  for (const id of ids) await lib.writeGame(id, {'version.ini': '1', [`${id}.eti`]: id})
  await (await Library.open(lib.paths, components)).refresh()
  return lib
}

/** What a fresh process sees: revision, digest and every summary. */
async function seen(lib: TempLibrary, components: LibraryComponents = {}) {
  const opened = await Library.open(lib.paths, {logger: quiet, ...components})
  return opened.snapshot()
}

/** Bytes a piece of work wrote under `dir`: new or replaced files whole, a file appended to by its growth. */
async function bytesWritten(dir: string, work: () => Promise<unknown>): Promise<number> {
  const sizes = async () => {
    const out = new Map<string, {ino: number; size: number; mtime: number}>()
    for (const entry of await fs.readdir(dir, {recursive: true, withFileTypes: true})) {
      if (!entry.isFile()) continue
      const stat = await fs.lstat(path.join(entry.parentPath, entry.name))
      out.set(path.join(entry.parentPath, entry.name), {ino: stat.ino, size: stat.size, mtime: stat.mtimeMs})
    }
    return out
  }
  const before = await sizes()
  await work()
  let bytes = 0
  for (const [file, after] of await sizes()) {
    const old = before.get(file)
    if (old && old.ino === after.ino && old.size === after.size && old.mtime === after.mtime) continue
    bytes += old && old.ino === after.ino && after.size >= old.size ? after.size - old.size : after.size
  }
  return bytes
}

describe('a change to one game', () => {
  it('writes O(that game) at 1,000 games: under 16 KiB, index.json untouched', {timeout: 60_000}, async () => {
    const lib = await makeTempLibrary(Array.from({length: 1000}, (_, i) => ({id: `g${i}`, name: `G${i}`})))
    for (let i = 0; i < 1000; i++) await lib.writeGame(`g${i}`, {'version.ini': '1', 'g.eti': 'x', 'data/a.bin': 'a', 'data/b.bin': 'b'})
    const opened = await Library.open(lib.paths)
    await opened.refresh()
    expect((await fs.stat(lib.paths.indexPath)).size).toBeGreaterThan(200_000)
    const checkpoint = await fs.stat(lib.paths.indexPath)
    for (const round of [1, 2, 3]) {
      await fs.writeFile(lib.file('g500', 'version.ini'), `1.${round}`)
      const bytes = await bytesWritten(lib.paths.stateDir, () => Library.open(lib.paths).then((l) => l.refresh()))
      expect(bytes).toBeLessThan(16 * 1024)
    }
    const after = await fs.stat(lib.paths.indexPath)
    expect([after.ino, after.mtimeMs]).toEqual([checkpoint.ino, checkpoint.mtimeMs])
    expect((await seen(lib)).library_rev).toBe(4)
  })
})

describe('index.log', () => {
  it('replayed over index.json gives the very index a new checkpoint holds', async () => {
    const lib = await library(['a', 'b', 'c'])
    const live = await Library.open(lib.paths)
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    await live.refresh()
    await fs.rm(lib.file('b'), {recursive: true})
    await live.refresh()
    await lib.writeGame('d', {'version.ini': '2', 'd.eti': 'dd'})
    await live.refresh()
    await live.content('c') // a game file only: no record
    const records = parseJournal(await fs.readFile(journalOf(lib), 'utf8'))
    expect(records.status === 'ok' && records.records.map((r) => [r.library_rev, Object.keys(r.games), r.removed])).toEqual([
      [2, ['a'], []],
      [3, [], ['b']],
      [4, ['d'], []],
    ])
    if (records.status === 'ok') for (const record of records.records) expect(JournalRecordSchema.safeParse(record).success).toBe(true)
    const replayed = await new IndexStore(lib.paths).load()
    expect(replayed.warnings).toEqual([])
    expect(replayed.index.library_rev).toBe(4)
    // Compacting writes the same index as a checkpoint and removes the journal.
    const store = new IndexStore(lib.paths, {compactAt: () => 0})
    const {index} = await store.load()
    await store.save(index)
    await expect(fs.access(journalOf(lib))).rejects.toThrow()
    const checkpoint = await readJson(lib.paths.indexPath)
    expect({...checkpoint, journal_id: ''}).toEqual({...replayed.index, journal_id: ''})
    expect(await seen(lib)).toEqual(live.snapshot())
  })

  it('carries the stamp of each digest; a record without one (an older build) makes the next refresh compute it', async () => {
    const lib = await library(['a', 'b'])
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    const live = await (await Library.open(lib.paths)).refresh()
    const [record] = (await fs.readFile(journalOf(lib), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(record.digest_stamp).toBe((await new IndexStore(lib.paths).load()).index.digest_stamp)
    expect(record.digest_stamp).toMatch(/^[0-9a-f]{32}$/)
    // The older build's record: a digest that is not of these games (as if the catalog had moved since), and no stamp.
    const {digest_stamp: _, ...older} = {...record, library_digest: 'f'.repeat(64)}
    await fs.writeFile(journalOf(lib), `${JSON.stringify(older)}\n`)
    const result = await (await Library.open(lib.paths)).refresh()
    expect(result.library_digest).toBe(live.library_digest)
    expect(result.library_digest).toBe(libraryDigest(result.games))
  })

  it('is folded into index.json once it outgrows its share of it', async () => {
    const lib = await library(['a', 'b'])
    const components = {indexStore: {compactAt: (bytes: number) => bytes / 2}}
    const live = await Library.open(lib.paths, components)
    for (let round = 1; round <= 6; round++) {
      await fs.writeFile(lib.file('a', 'a.eti'), 'x'.repeat(round))
      await live.refresh()
      const journal = await fs.stat(journalOf(lib)).catch(() => null)
      expect(journal?.size ?? 0).toBeLessThanOrEqual((await fs.stat(lib.paths.indexPath)).size / 2)
    }
    expect((await readJson(lib.paths.indexPath)).library_rev).toBeGreaterThan(2)
    expect(await seen(lib)).toEqual(live.snapshot())
  })

  it.each([
    ['cut short (no end of line)', '{"journal_id":"0123'],
    ['garbled', 'garbage that is not JSON\n'],
    ['zero bytes (an extended file whose data never reached the disk)', '\0\0\0\0\0\0\n'],
  ])('with a last record %s: ignored with a warning, and the next scan rewrites it away', async (_, tail) => {
    const lib = await library(['a', 'b'])
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    await (await Library.open(lib.paths)).refresh()
    const before = await seen(lib)
    await fs.appendFile(journalOf(lib), tail)
    const {warnings, logger} = collect()
    const opened = await Library.open(lib.paths, {logger})
    expect(warnings).toEqual([expect.stringContaining(journalOf(lib))])
    expect(opened.snapshot()).toEqual(before)
    await opened.refresh() // nothing changed in the games, yet the journal is repaired
    await expect(fs.access(journalOf(lib))).rejects.toThrow()
    const again = collect()
    expect(await seen(lib, {logger: again.logger})).toEqual(before)
    expect(again.warnings).toEqual([])
  })

  it('damaged before its last record: rebuilt with a warning, set aside, library_rev moving forward', async () => {
    const lib = await library(['a', 'b'])
    for (const content of ['one', 'three']) {
      await fs.writeFile(lib.file('a', 'a.eti'), content)
      await (await Library.open(lib.paths)).refresh()
    }
    const lines = (await fs.readFile(journalOf(lib), 'utf8')).split('\n')
    lines[0] = '{"journal_id": garbled'
    await fs.writeFile(journalOf(lib), lines.join('\n'))
    const {warnings, logger} = collect()
    const result = await (await Library.open(lib.paths, {logger})).refresh()
    expect(warnings).toEqual([expect.stringMatching(/index\.log is damaged \(record 1 of 2/)])
    expect(result.library_rev).toBeGreaterThan(3)
    expect(result.report.rescanned.sort()).toEqual(['a', 'b'])
    expect(await fs.readFile(`${journalOf(lib)}.corrupt`, 'utf8')).toBe(lines.join('\n'))
    expect(await seen(lib)).toMatchObject({library_rev: result.library_rev})
  })

  it('with a record of another epoch or a revision going back: rebuilt, never backwards', async () => {
    const lib = await library(['a'])
    await fs.writeFile(lib.file('a', 'a.eti'), 'one')
    await (await Library.open(lib.paths)).refresh()
    const [record] = (await fs.readFile(journalOf(lib), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    await fs.appendFile(journalOf(lib), `${JSON.stringify({...record, library_rev: 1})}\n${JSON.stringify(record)}\n`)
    const result = await (await Library.open(lib.paths, {logger: quiet})).refresh()
    expect(result.library_rev).toBeGreaterThan(2)
  })

  it('is only read by a read-only library (recover --dry-run), torn or damaged', async () => {
    const lib = await library(['a', 'b'])
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    await (await Library.open(lib.paths)).refresh()
    for (const damage of ['{"torn', 'garbage\n{}\n']) {
      await fs.appendFile(journalOf(lib), damage)
      const before = await stampTree(lib.paths.stateDir)
      const opened = await Library.open(lib.paths, {readOnly: true, logger: quiet})
      await opened.refresh()
      await opened.content('b')
      expect(await stampTree(lib.paths.stateDir)).toEqual(before)
    }
  })

  it('is noticed when another process appends to it', async () => {
    const lib = await library(['a'])
    const first = await Library.open(lib.paths)
    const second = await Library.open(lib.paths)
    await fs.writeFile(lib.file('a', 'a.eti'), 'one')
    expect((await second.refresh()).library_rev).toBe(2) // a record, index.json untouched
    await fs.writeFile(lib.file('a', 'a.eti'), 'three')
    expect((await first.refresh()).library_rev).toBe(3)
    expect((await seen(lib)).library_rev).toBe(3)
  })
})

describe('a version-2 index', () => {
  it('is migrated to version 3 in place: revision and epoch kept, no game walked, a stray journal dropped', async () => {
    const lib = await library(['a', 'b'])
    const v3 = await readJson(lib.paths.indexPath)
    const {journal_id: _, ...rest} = v3
    const games = Object.fromEntries(
      Object.entries(rest.games as Record<string, {fingerprint: string}>).map(([id, g]) => [id, {...g, fingerprint: fingerprintParts(g.fingerprint)}]),
    )
    await fs.writeFile(lib.paths.indexPath, JSON.stringify({...rest, version: 2, games}))
    // A journal beside a version-2 index is not its own (it cannot name this checkpoint).
    await fs.writeFile(
      journalOf(lib),
      `${JSON.stringify({journal_id: 'ffffffffffffffff', library_epoch: v3.library_epoch, library_rev: 9, library_digest: null, games: {}, removed: ['a']})}\n`,
    )
    const {warnings, logger} = collect()
    const result = await (await Library.open(lib.paths, {logger})).refresh()
    expect(warnings).toEqual([])
    expect(result).toMatchObject({library_rev: 1, library_epoch: v3.library_epoch, report: {rescanned: []}})
    expect(result.games.map((g) => g.id)).toEqual(['a', 'b'])
    expect(await readJson(lib.paths.indexPath)).toMatchObject({version: 3, library_rev: 1})
    await expect(fs.access(journalOf(lib))).rejects.toThrow()
  })
})

describe('a save cut short at each step (the LANSPREAD_FAILPOINT steps, thrown in process)', () => {
  class Crash extends Error {}
  const crashAt = (step: IndexFailpoint): IndexStoreOptions => ({
    failpoint: (at) => {
      if (at === step) throw new Crash(step)
    },
  })

  it.each([
    ['index.rev-written', 'append'],
    ['index.journal-appended', 'append'],
    ['index.rev-written', 'compact'],
    ['index.checkpoint-written', 'compact'],
    ['index.journal-removed', 'compact'],
  ] as [IndexFailpoint, string][])('%s (%s) loads to the library before or after the change, and the next scan to the one after', async (step, kind) => {
    const lib = await library(['a', 'b'])
    await fs.writeFile(lib.file('b', 'b.eti'), 'earlier change')
    await (await Library.open(lib.paths)).refresh() // a record in the journal: a compaction must keep it
    const before = await seen(lib)
    await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
    const after = await afterOnACopy(lib)
    const compactAt = kind === 'compact' ? () => 0 : undefined
    const crashing = await Library.open(lib.paths, {indexStore: {...crashAt(step), ...(compactAt ? {compactAt} : {})}})
    await expect(crashing.refresh()).rejects.toThrow(Crash)
    const loaded = await seen(lib)
    // Before the record or the new checkpoint is in place: the library before (library-rev.json may be ahead).
    if (step === 'index.rev-written') expect({...loaded, library_rev: before.library_rev}).toEqual(before)
    else expect(loaded).toEqual(after)
    expect(loaded.library_rev).toBeGreaterThanOrEqual(before.library_rev)
    const next = await (await Library.open(lib.paths, {logger: quiet})).refresh()
    expect(next.library_rev).toBeGreaterThanOrEqual(after.library_rev)
    expect([next.games, next.library_digest]).toEqual([after.games, after.library_digest])
  })

  /** The library after the change as a save that is not cut short leaves it: refreshed on a copy. */
  async function afterOnACopy(lib: TempLibrary) {
    const copy = await makeTempDir()
    await fs.cp(lib.gamesDir, copy, {recursive: true, preserveTimestamps: true})
    const paths = Object.fromEntries(Object.entries(lib.paths).map(([key, value]) => [key, value.replace(lib.gamesDir, copy)])) as typeof lib.paths
    await (await Library.open(paths)).refresh()
    return (await Library.open(paths)).snapshot()
  }
})

describe('a link planted at index.log', () => {
  const PRECIOUS = "precious, not lanspread's\n"

  it('never gets its target written, whether planted before the load or between the load and the save', async () => {
    for (const when of ['before load', 'before save']) {
      const lib = await library(['a'])
      const outside = path.join(await makeTempDir(), 'precious.txt')
      await fs.writeFile(outside, PRECIOUS)
      if (when === 'before load') await fs.symlink(outside, journalOf(lib))
      const opened = await Library.open(lib.paths, {logger: quiet})
      if (when === 'before save') await fs.symlink(outside, journalOf(lib))
      await fs.writeFile(lib.file('a', 'a.eti'), 'changed')
      const result = await opened.refresh()
      expect(await fs.readFile(outside, 'utf8')).toBe(PRECIOUS)
      // The link is gone; index.json holds the change.
      await expect(fs.lstat(journalOf(lib))).rejects.toThrow()
      expect((await seen(lib)).library_rev).toBe(result.library_rev)
      expect((await readJson(lib.paths.indexPath)).library_rev).toBe(result.library_rev)
    }
  })
})
