// Writes lanspread must never make, through the built CLI: through a symbolic link planted at
// one of its own files (intent log, state files), or over a good install from a cut tar.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree} from '../helpers/tree.js'
import {rawTar} from '../ops/extract/helpers/raw-tar.js'

const PRECIOUS = Buffer.from('precious bytes that are not lanspread\'s\n{"intent":"Installing"}\n')

async function downloadedGame() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1.0'})
  await writeTarArchive(path.join(root, 'g.eti'), {'bin/run.sh': 'echo hi', 'data/a.pak': 'pak'}, {gzip: true})
  return {lib, root, games: ['--games', lib.gamesDir]}
}

/** A file outside the games folder, and a symbolic link to it planted at `link`. */
async function plantLink(link: string): Promise<string> {
  const outside = path.join(await makeTempDir(), 'precious.txt')
  await fs.writeFile(outside, PRECIOUS)
  await fs.rm(link, {force: true})
  await fs.symlink(outside, link)
  return outside
}

async function expectUntouched(outside: string): Promise<void> {
  expect(await fs.readFile(outside)).toEqual(PRECIOUS)
}

describe('no write goes through a symbolic link', () => {
  it.each([
    ['install', ['install', 'g']],
    ['uninstall', ['uninstall', 'g']],
    ['recover', ['recover']],
    ['recover g', ['recover', 'g']],
  ])('%s leaves the target of a planted .lanspread.json link byte-identical', async (_label, args) => {
    const {root, games} = await downloadedGame()
    if (args[0] === 'uninstall') expect((await runCli(['install', 'g', ...games])).exitCode).toBe(0)
    const intentLog = path.join(root, '.lanspread.json')
    const outside = await plantLink(intentLog)
    const result = await runCli([...args, ...games])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    await expectUntouched(outside)
    // The link itself was replaced by lanspread's own regular file.
    expect((await fs.lstat(intentLog)).isFile()).toBe(true)
    expect(JSON.parse(await fs.readFile(intentLog, 'utf8'))).toEqual({intent: 'None'})
  })

  it('scan leaves the targets of planted library-rev.json and index.json links byte-identical', async () => {
    const {lib, games} = await downloadedGame()
    expect((await runCli(['scan', ...games])).exitCode).toBe(0)
    const revOutside = await plantLink(lib.paths.libraryRevPath)
    const indexOutside = await plantLink(lib.paths.indexPath)
    // A new game moves the revision, so both files are written.
    await lib.writeCatalog([
      {id: 'g', name: 'G'},
      {id: 'h', name: 'H'},
    ])
    await lib.writeGame('h', {'version.ini': '2.0', 'h.eti': 'x'})
    const result = await runCli(['scan', '--json', ...games])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    await expectUntouched(revOutside)
    await expectUntouched(indexOutside)
    expect((await fs.lstat(lib.paths.libraryRevPath)).isFile()).toBe(true)
    expect((await fs.lstat(lib.paths.indexPath)).isFile()).toBe(true)
  })
  it('scan leaves the target of a planted index.log (journal) link byte-identical, and replaces the link', async () => {
    const {lib, games} = await downloadedGame()
    expect((await runCli(['scan', ...games])).exitCode).toBe(0)
    const journal = path.join(lib.paths.stateDir, 'index.log')
    const journalOutside = await plantLink(journal)
    // A one-game change would append a record to the journal: it must not go through the link.
    await fs.writeFile(path.join(lib.gamesDir, 'g', 'version.ini'), '1.1')
    const result = await runCli(['scan', '--json', ...games])
    expect(result.exitCode, String(result.stderr)).toBe(0)
    await expectUntouched(journalOutside)
    await expect(fs.lstat(journal)).rejects.toThrow()
    const shown = json<{library_rev: number; games: {eti_version: string}[]}>(await runCli(['library', '--json', ...games]))
    expect(shown.games[0]!.eti_version).toBe('1.1')
  })
})

describe('a truncated tar never replaces a good install', () => {
  it('install --update with a tar cut between entries fails as archive_corrupt and leaves local/ byte-identical', async () => {
    const {root, games} = await downloadedGame()
    expect((await runCli(['install', 'g', ...games])).exitCode).toBe(0)
    await fs.writeFile(path.join(root, 'local/save.dat'), 'mine')
    const before = await snapshotTree(path.join(root, 'local'))

    const whole = rawTar([
      {name: 'bin/run.sh', data: 'echo v2'},
      {name: 'data/a.pak', data: 'pak v2'},
    ])
    const archive = path.join(root, 'g.eti')
    await fs.writeFile(archive, whole.subarray(0, 1024)) // the first entry only, cut at its end
    const update = await runCli(['install', 'g', '--update', '--json', ...games])
    expect(update.exitCode).toBe(6)
    expect(json(update)).toMatchObject({
      error: {code: 'archive_corrupt', message: `archive ${archive} ends before its end-of-archive marker: the file is truncated; download it again`},
    })
    expect(await snapshotTree(path.join(root, 'local'))).toEqual(before)
    expect((await fs.readdir(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'local', 'version.ini'])
  })
})
