import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {IndexStore} from '../../src/library/index-store.js'
import {json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function library() {
  const lib = await makeTempLibrary([{id: 'quake3', name: 'Quake III Arena'}])
  await lib.writeGame('quake3', {'version.ini': '1.32\n', 'pak0.eti': 'x'.repeat(2048)})
  await lib.writeGame('homebrew', {'local/save': 's'})
  await fs.writeFile(lib.file('notes.txt'), 'not a game')
  return lib
}

const SUMMARY_KEYS = ['availability', 'downloaded', 'eti_version', 'id', 'installed', 'manifest_hash', 'name', 'needs_recovery', 'size']

describe('lanspread scan', () => {
  it('--json prints exactly one document with the library and the scan report', async () => {
    const lib = await library()
    const result = await runCli(['scan', '--json', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(0)
    const doc = json(result)
    expect(Object.keys(doc).sort()).toEqual(['games', 'library_digest', 'library_epoch', 'library_rev', 'scan'])
    expect(doc.library_rev).toBe(1)
    expect(doc.library_epoch).toMatch(/^[0-9a-f]{32}$/)
    expect(doc.library_digest).toMatch(/^[0-9a-f]{64}$/)
    const games = doc.games as Record<string, unknown>[]
    expect(games.map((g) => Object.keys(g).sort())).toEqual([SUMMARY_KEYS, SUMMARY_KEYS])
    expect(games[1]).toMatchObject({
      id: 'quake3',
      name: 'Quake III Arena',
      eti_version: '1.32',
      size: 2053,
      downloaded: true,
      installed: false,
      availability: 'ready',
    })
    expect(games[0]).toMatchObject({id: 'homebrew', availability: 'local_only', installed: true, size: 0})
    expect(doc.scan).toMatchObject({scanned: 2, reused: 0, rescanned: ['homebrew', 'quake3'], ignored: ['notes.txt'], skipped: []})
    expect(typeof (doc.scan as {elapsed_ms: unknown}).elapsed_ms).toBe('number')
    expect(String(result.stderr)).toContain('notes.txt')
  })

  it('reuses everything on a second scan and walks everything with --full', async () => {
    const lib = await library()
    await runCli(['scan', '--games', lib.gamesDir])
    const warm = json(await runCli(['scan', '--json', '--games', lib.gamesDir]))
    expect(warm.scan).toMatchObject({reused: 2, rescanned: []})
    const full = json(await runCli(['scan', '--full', '--json', '--games', lib.gamesDir]))
    expect(full.scan).toMatchObject({reused: 0, rescanned: ['homebrew', 'quake3']})
    expect(full.library_rev).toBe(1)
  })

  it('prints a readable table', async () => {
    const lib = await library()
    const result = await runCli(['scan'], {env: {LANSPREAD_GAMES: lib.gamesDir}})
    expect(result.exitCode).toBe(0)
    expect(String(result.stdout)).toMatch(/ID\s+NAME\s+VERSION\s+SIZE/)
    expect(String(result.stdout)).toMatch(/quake3\s+Quake III Arena\s+1\.32\s+2\.0 KiB\s+yes\s+no\s+ready/)
    expect(String(result.stdout)).toContain('library_rev 1')
  })

  it('honours --state-dir and --catalog', async () => {
    const lib = await library()
    const elsewhere = `${lib.gamesDir}-state`
    await fs.rename(lib.paths.catalogPath, `${lib.gamesDir}-catalog.json`)
    const result = await runCli(['scan', '--json', '--games', lib.gamesDir, '--state-dir', elsewhere, '--catalog', `${lib.gamesDir}-catalog.json`])
    try {
      expect(result.exitCode).toBe(0)
      await fs.access(`${elsewhere}/index.json`)
      await fs.access(`${elsewhere}/peer.json`)
      await expect(fs.access(lib.paths.stateDir)).rejects.toThrow()
    } finally {
      await fs.rm(elsewhere, {recursive: true, force: true})
      await fs.rm(`${lib.gamesDir}-catalog.json`, {force: true})
    }
  })

  it('takes a missing catalog for an empty one, with one warning naming it (never on stdout under --json)', async () => {
    const lib = await library()
    await fs.rm(lib.paths.catalogPath)
    const human = await runCli(['scan', '--games', lib.gamesDir])
    expect(human.exitCode).toBe(0)
    expect(String(human.stderr).split(`no catalog at ${lib.paths.catalogPath}`)).toHaveLength(2)
    const machine = await runCli(['scan', '--json', '--games', lib.gamesDir])
    expect(machine.exitCode).toBe(0)
    expect(String(machine.stdout)).not.toContain('catalog')
    expect(json<{games: {id: string; availability: string}[]}>(machine).games.map((g) => g.availability)).not.toContain('ready')
  })

  it('names an invalid catalog entry', async () => {
    const lib = await library()
    await fs.writeFile(lib.paths.catalogPath, '[{"id": "ok", "name": "Ok"}, {"id": 42}]')
    const result = await runCli(['scan', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(8)
    expect(String(result.stderr)).toMatch(/catalog .*catalog\.json is invalid: \[1\]\.id/)
  })

  it('names a missing games folder (exit code not found) and creates nothing', async () => {
    const lib = await library()
    const missing = `${lib.gamesDir}/nope`
    const result = await runCli(['scan', '--games', missing])
    expect(result.exitCode).toBe(3)
    expect(String(result.stderr)).toContain(`games folder not found: ${missing}`)
    await expect(fs.access(missing)).rejects.toThrow()
  })

  it('treats an empty LANSPREAD_GAMES as unset (./games), not as the current folder', async () => {
    const lib = await library()
    const result = await runCli(['scan', '--json'], {env: {LANSPREAD_GAMES: ''}, cwd: lib.gamesDir})
    expect(result.exitCode).toBe(3)
    expect(json(result)).toMatchObject({error: {message: `games folder not found: ${lib.gamesDir}/games`}})
  })

  it('names a missing argument', async () => {
    const result = await runCli(['library', 'a', 'b'])
    expect(result.exitCode).toBe(2)
    expect(String(result.stderr)).toContain('Unexpected argument: b')
    const missing = await runCli(['install'])
    expect(String(missing.stderr)).toMatch(/Missing 1 required arg: id/)
  })

  it('rejects an unknown flag with the usage exit code', async () => {
    const result = await runCli(['scan', '--fulll'])
    expect(result.exitCode).toBe(2)
    expect(String(result.stderr)).toContain('--fulll')
  })

  it('warns about a corrupt index and rebuilds it', async () => {
    const lib = await library()
    await runCli(['scan', '--games', lib.gamesDir])
    await fs.writeFile(lib.paths.indexPath, '{broken')
    const result = await runCli(['scan', '--json', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(0)
    expect(String(result.stderr)).toMatch(/warning: index .*index\.json was unreadable/)
    await fs.access(`${lib.paths.indexPath}.corrupt`)
    expect(json(result).library_rev).toBe(2)
  })
})

describe('concurrent scans', () => {
  it('agree on one revision and leave a valid index', async () => {
    const lib = await library()
    const scanAll = async () => Promise.all(Array.from({length: 4}, () => runCli(['scan', '--json', '--games', lib.gamesDir])))
    const first = await scanAll()
    expect(first.map((r) => r.exitCode)).toEqual([0, 0, 0, 0])
    expect(first.map((r) => json(r).library_rev)).toEqual([1, 1, 1, 1])
    await fs.writeFile(lib.file('quake3', 'pak0.eti'), 'changed')
    const second = await scanAll()
    expect(second.map((r) => json(r).library_rev)).toEqual([2, 2, 2, 2])
    // index.json is the checkpoint (rev 1) and index.log holds the change: loaded together, clean.
    const loaded = await new IndexStore(lib.paths).load()
    expect([loaded.index.library_rev, loaded.warnings]).toEqual([2, []])
  })
})

describe('lanspread library', () => {
  it('--json prints the local library', async () => {
    const lib = await library()
    const doc = json(await runCli(['library', '--json', '--games', lib.gamesDir]))
    expect(Object.keys(doc).sort()).toEqual(['games', 'library_digest', 'library_epoch', 'library_rev'])
    expect((doc.games as {id: string}[]).map((g) => g.id)).toEqual(['homebrew', 'quake3'])
  })

  it('prints one game with its ID', async () => {
    const lib = await library()
    const doc = json(await runCli(['library', 'quake3', '--json', '--games', lib.gamesDir]))
    expect(doc).toMatchObject({id: 'quake3', eti_version: '1.32', availability: 'ready'})
    const human = await runCli(['library', 'quake3', '--games', lib.gamesDir])
    expect(String(human.stdout)).toMatch(/manifest hash\s+[0-9a-f]{64}/)
  })

  it('exits with the not-found code for an unknown game', async () => {
    const lib = await library()
    const result = await runCli(['library', 'doom', '--json', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(3)
    expect(json(result)).toMatchObject({error: {code: 'not_found', message: expect.stringContaining('doom')}})
  })
})
