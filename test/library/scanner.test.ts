import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ioError} from '../../src/errors.js'
import {Library} from '../../src/library/library.js'
import type {IndexedGame} from '../../src/library/index-format.js'
import {type GameFolderReader, type ScanOptions, diskReader, scanGames} from '../../src/library/scanner.js'
import {makeTempDir, makeTempLibrary, setMtime} from '../helpers/temp-library.js'

const CATALOG = [
  {id: 'alpha', name: 'Alpha'},
  {id: 'beta', name: 'Beta'},
]

async function twoGames() {
  const lib = await makeTempLibrary(CATALOG)
  await lib.writeGame('alpha', {'version.ini': '1.0\n', 'alpha.eti': 'aaaa', 'data/deep/file.bin': '12345'})
  await lib.writeGame('beta', {'version.ini': '2.0', 'beta.eti': 'bb'})
  return lib
}

describe('scanner', () => {
  it('builds summaries from the game folders and the catalog', async () => {
    const lib = await twoGames()
    await lib.writeGame('stray', {'x.eti': 'x'})
    const {games, report} = await (await Library.open(lib.paths)).refresh()
    expect(games.map((g) => [g.id, g.name, g.eti_version, g.size, g.downloaded, g.installed, g.availability])).toEqual([
      ['alpha', 'Alpha', '1.0', 4 + 4 + 5, true, false, 'ready'],
      ['beta', 'Beta', '2.0', 2 + 3, true, false, 'ready'],
      ['stray', 'stray', null, 1, false, false, 'local_only'],
    ])
    expect(report.rescanned).toEqual(['alpha', 'beta', 'stray'])
  })

  it('reports entries that are not game folders and skips its own state and catalog', async () => {
    const lib = await twoGames()
    await fs.writeFile(lib.file('notes.txt'), 'x')
    await fs.mkdir(lib.file('.hidden'))
    await fs.mkdir(lib.file('bad name'))
    await fs.symlink(lib.file('alpha'), lib.file('alias'))
    const {report, games} = await (await Library.open(lib.paths)).refresh()
    expect(report.ignored).toEqual(['.hidden', 'alias', 'bad name', 'notes.txt'])
    expect(games.map((g) => g.id)).toEqual(['alpha', 'beta'])
  })

  it('a warm scan recurses into no game', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    const cold = await library.refresh()
    // A change deep inside a game that the fingerprint does not cover: only a walk would see it.
    await fs.writeFile(lib.file('alpha', 'data', 'deep', 'file.bin'), 'a much longer content')
    const warm = await library.refresh()
    expect(warm.report).toMatchObject({scanned: 2, reused: 2, rescanned: []})
    expect(warm.games).toEqual(cold.games)
    const full = await library.refresh({full: true})
    expect(full.report.rescanned).toEqual(['alpha', 'beta'])
    expect(full.games.find((g) => g.id === 'alpha')!.size).not.toBe(cold.games.find((g) => g.id === 'alpha')!.size)
  })

  it('a warm scan from a fresh process reuses the index on disk', async () => {
    const lib = await twoGames()
    await (await Library.open(lib.paths)).refresh()
    const {report} = await (await Library.open(lib.paths)).refresh()
    expect(report).toMatchObject({reused: 2, rescanned: []})
  })

  it('rescans exactly the game whose .eti changed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('beta', 'beta.eti'), 'bbbbbb')
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['beta'])
    expect(games.find((g) => g.id === 'beta')!.size).toBe(6 + 3)
  })

  it('rescans exactly the game whose .eti was touched, added or removed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await setMtime(lib.file('alpha', 'alpha.eti'), 1_000_000)
    expect((await library.refresh()).report.rescanned).toEqual(['alpha'])
    await fs.writeFile(lib.file('beta', 'extra.eti'), 'e')
    expect((await library.refresh()).report.rescanned).toEqual(['beta'])
    await fs.rm(lib.file('beta', 'extra.eti'))
    expect((await library.refresh()).report.rescanned).toEqual(['beta'])
  })

  it('rescans exactly the game whose version.ini changed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('alpha', 'version.ini'), '1.1\n')
    await setMtime(lib.file('alpha', 'version.ini'), 2_000_000)
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['alpha'])
    expect(games.find((g) => g.id === 'alpha')!.eti_version).toBe('1.1')
  })

  it('notices local/ appearing and the sentinel disappearing', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.mkdir(lib.file('alpha', 'local'))
    await fs.rm(lib.file('beta', 'version.ini'))
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['alpha', 'beta'])
    expect(games.map((g) => [g.id, g.installed, g.downloaded, g.availability])).toEqual([
      ['alpha', true, true, 'ready'],
      ['beta', false, false, 'local_only'],
    ])
  })

  it('drops games whose folder was removed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.rm(lib.file('beta'), {recursive: true})
    const {games} = await library.refresh()
    expect(games.map((g) => g.id)).toEqual(['alpha'])
  })

  it('rescans only the named games with `only`', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('alpha', 'alpha.eti'), 'changed!')
    await fs.writeFile(lib.file('beta', 'beta.eti'), 'changed!')
    const {report, games} = await library.refresh({only: ['beta']})
    expect(report.rescanned).toEqual(['beta'])
    expect(games.find((g) => g.id === 'alpha')!.size).toBe(13)
  })

  it('reads only the first line-ish of a huge version.ini', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'version.ini': `  7.5  \n${'x'.repeat(100_000)}`})
    const {games} = await (await Library.open(lib.paths)).refresh()
    expect(games[0]!.eti_version!.startsWith('7.5')).toBe(true)
    expect(games[0]!.eti_version!.length).toBeLessThanOrEqual(4096)
  })

  it('fails with not_found naming a missing games folder', async () => {
    const lib = await makeTempLibrary()
    const library = await Library.open(lib.paths)
    await fs.rm(lib.gamesDir, {recursive: true})
    await expect(library.refresh()).rejects.toMatchObject({code: 'not_found', message: expect.stringContaining(lib.gamesDir)})
    // Nothing was created in its place.
    await expect(fs.access(lib.gamesDir)).rejects.toThrow()
  })
})

/** A reader that fails like a folder without read permission, for the chosen games only. */
function deniedFor(ids: Set<string>, step: 'root' | 'walk'): GameFolderReader {
  const denied = (root: string) => Object.assign(new Error(`EACCES: permission denied, scandir '${root}'`), {code: 'EACCES', path: root})
  return {
    readRoot: (root) => {
      if (step === 'root' && ids.has(path.basename(root))) throw ioError('list', root, denied(root))
      return diskReader.readRoot(root)
    },
    readManifest: async (root) => {
      if (step === 'walk' && ids.has(path.basename(root))) throw ioError('list', root, denied(root))
      return diskReader.readManifest(root)
    },
  }
}

describe('a game folder that cannot be read', () => {
  it.each(['root', 'walk'] as const)('is skipped with the reason (fails at the %s) while the others are scanned', async (step) => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths, {reader: deniedFor(new Set(['alpha']), step)})
    const {games, report} = await library.refresh()
    expect(games.map((g) => g.id)).toEqual(['beta'])
    expect(report.skipped).toEqual([{id: 'alpha', reason: expect.stringMatching(/^permission denied \(.*alpha/)}])
    expect(report.rescanned).toEqual(['beta'])
  })

  it('leaves the library while unreadable and comes back with its stored hashes', async () => {
    const lib = await twoGames()
    const denied = new Set<string>()
    const library = await Library.open(lib.paths, {reader: deniedFor(denied, 'root')})
    await library.refresh()
    await library.content('alpha')
    denied.add('alpha')
    const during = await library.refresh()
    expect(during.delta?.removed).toEqual(['alpha'])
    // Its game file stays: a transient error must not cost a re-hash of the whole game.
    await fs.access(`${lib.paths.gameFilesDir}/alpha.json`)
    denied.clear()
    const after = await library.refresh()
    expect(after.games.map((g) => g.id)).toEqual(['alpha', 'beta'])
    expect((await library.content('alpha')).hashed).toEqual([])
  })
})

describe('a game folder removed during the scan', () => {
  it('is simply gone, not skipped', async () => {
    const lib = await twoGames()
    const gone = (root: string) => ioError('list', root, Object.assign(new Error('ENOENT'), {code: 'ENOENT'}))
    const reader: GameFolderReader = {
      readRoot: (root) => {
        if (root.endsWith('/alpha')) throw gone(root)
        return diskReader.readRoot(root)
      },
      readManifest: diskReader.readManifest,
    }
    const {games, report} = await (await Library.open(lib.paths, {reader})).refresh()
    expect(games.map((g) => g.id)).toEqual(['beta'])
    expect(report.skipped).toEqual([])
  })
})

describe('a game left mid-operation', () => {
  async function oneGame() {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'version.ini': '1', 'g.eti': 'g'})
    const library = await Library.open(lib.paths)
    expect((await library.refresh()).games[0]).toMatchObject({needs_recovery: false, availability: 'ready'})
    return {lib, library}
  }

  it.each([
    ['an intent other than None', {'.lanspread.json': '{"intent":"Installing"}'}],
    ['an unreadable intent log', {'.lanspread.json': '{"intent":'}],
    ['download scratch', {'.version.ini.tmp': '2'}],
    ['a staging folder holding our marker', {'.local.installing/.lanspread_owned': '', '.local.installing/x': 'x'}],
    ['a backup folder holding our marker', {'.local.backup/.lanspread_owned': ''}],
  ])('needs recovery and is not transferable with %s', async (_, files) => {
    const {lib, library} = await oneGame()
    await lib.writeGame('g', files)
    const result = await library.refresh()
    expect(result.games[0]).toMatchObject({needs_recovery: true, availability: 'local_only'})
    // A mark of an interrupted operation is no payload change: no walk.
    expect(result.report.rescanned).toEqual([])
    expect(result.library_rev).toBe(2)
  })

  it.each([
    ['an intent log saying None', {'.lanspread.json': '{"intent":"None"}'}],
    ["a .local.backup without our marker (the user's)", {'.local.backup/save': 's'}],
  ])('does not need recovery with %s', async (_, files) => {
    const {lib, library} = await oneGame()
    await lib.writeGame('g', files)
    expect((await library.refresh()).games[0]).toMatchObject({needs_recovery: false, availability: 'ready'})
  })

  it('is noticed by a warm scan when the intent log changes, and cleared when it says None again', async () => {
    const {lib, library} = await oneGame()
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"None"}'})
    await library.refresh()
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"Updating","pid":1}'})
    expect((await library.refresh()).games[0]!.needs_recovery).toBe(true)
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"None"}'})
    expect((await library.refresh()).games[0]!.needs_recovery).toBe(false)
  })
})

describe('the warm fingerprint loop', () => {
  /** `count` game folders whose fingerprints all match the index, read by `readRoot`. */
  async function warmScan(readRoot: () => void, count = 200): Promise<{calls: number; turnsAt: number[]}> {
    const gamesDir = await makeTempDir()
    const ids = Array.from({length: count}, (_, i) => `g${String(i).padStart(3, '0')}`)
    await Promise.all(ids.map((id) => fs.mkdir(path.join(gamesDir, id))))
    const previous = Object.fromEntries(
      ids.map((id) => [id, {fingerprint: '-/-', marks: [], needs_recovery: false, eti_version: null, size: 0, manifest_hash: 'h', file_count: 0}]),
    )
    let calls = 0
    const reader: GameFolderReader = {
      readRoot: () => {
        calls++
        readRoot()
        return {fingerprint: '-/-', marks: []}
      },
      readManifest: () => Promise.reject(new Error('a warm scan walks no game')),
    }
    // Every turn of the event loop while the scan runs, as serve's timers and sockets would get it.
    const turnsAt: number[] = []
    let watching = true
    const watch = (): void => {
      if (!watching) return
      turnsAt.push(calls)
      setImmediate(watch)
    }
    setImmediate(watch)
    const result = await scanGames({gamesDir, previous, loadGameFile: async () => undefined, reader})
    watching = false
    expect(result.report.reused).toBe(count)
    return {calls, turnsAt: turnsAt.filter((at) => at > 0 && at < count)}
  }

  /** Spins for `ms` of wall time: a game folder on a slow disk. */
  const busy = (ms: number) => (): void => {
    const until = performance.now() + ms
    while (performance.now() < until);
  }

  it('lets the event loop in while it runs long', async () => {
    // 0.5 ms a game: 100 ms of fingerprints, which serve must not spend deaf to its peers.
    const {turnsAt} = await warmScan(busy(0.5))
    expect(turnsAt.length).toBeGreaterThanOrEqual(2)
  })

  it('lets the event loop in within a few games when each game is slow to read', async () => {
    // 5 ms a game (a network disk): 30 games are 150 ms, and a slice may not wait for dozens of them.
    const {turnsAt} = await warmScan(busy(5), 30)
    expect(turnsAt.length).toBeGreaterThanOrEqual(2)
  })

  it('does not stop for the event loop when it is quick (each turn costs a fresh process CPU)', async () => {
    const {turnsAt} = await warmScan(() => undefined)
    expect(turnsAt).toEqual([])
  })
})

describe('sameEntries (a scan that moved nothing in the index)', () => {
  /** The index entries after a scan of the library as it is now. */
  async function entriesNow(lib: Awaited<ReturnType<typeof twoGames>>): Promise<Record<string, IndexedGame>> {
    const library = await Library.open(lib.paths)
    const {games} = await library.refresh()
    return Object.fromEntries(games.map((g) => [g.id, library.indexedGame(g.id)!]))
  }
  const scan = (lib: Awaited<ReturnType<typeof twoGames>>, previous: Record<string, IndexedGame>, extra: Partial<ScanOptions> = {}) =>
    scanGames({gamesDir: lib.gamesDir, previous, loadGameFile: async () => undefined, ...extra})

  it('is true for a warm scan that found every game as it was, listing or by ID', async () => {
    const lib = await twoGames()
    const previous = await entriesNow(lib)
    expect((await scan(lib, previous)).sameEntries).toBe(true)
    expect((await scan(lib, previous, {only: ['alpha', 'alpha']})).sameEntries).toBe(true)
  })

  it('builds new entries when something moved, and leaves the ones it was given untouched', async () => {
    const lib = await twoGames()
    const previous = await entriesNow(lib)
    const before = JSON.stringify(previous)
    await fs.writeFile(lib.file('alpha', 'version.ini'), '1.1\n')
    await lib.writeGame('gamma', {'version.ini': '1'})
    const after = await scan(lib, previous)
    expect(after.games).not.toBe(previous)
    expect(Object.keys(after.games)).toEqual(['beta', 'alpha', 'gamma'])
    expect(after.games.beta).toBe(previous.beta)
    expect(JSON.stringify(previous)).toBe(before)
  })

  it('is false when a game left, came, changed or could not be read', async () => {
    const lib = await twoGames()
    const previous = await entriesNow(lib)
    const away = path.join(await makeTempDir(), 'beta')
    await fs.rename(lib.file('beta'), away)
    expect((await scan(lib, previous)).sameEntries).toBe(false)
    // The same ID twice must not stand in for the one that left.
    expect((await scan(lib, previous, {only: ['alpha', 'alpha', 'beta']})).sameEntries).toBe(false)
    await fs.rename(away, lib.file('beta'))
    expect((await scan(lib, previous)).sameEntries).toBe(true)
    await lib.writeGame('gamma', {'version.ini': '1'})
    expect((await scan(lib, previous)).sameEntries).toBe(false)
    await fs.rm(lib.file('gamma'), {recursive: true})
    await fs.writeFile(lib.file('alpha', 'version.ini'), '1.1\n')
    expect((await scan(lib, previous)).sameEntries).toBe(false)
    const now = await entriesNow(lib)
    expect((await scan(lib, now, {reader: deniedFor(new Set(['beta']), 'root')})).sameEntries).toBe(false)
  })
})
