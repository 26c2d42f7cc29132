// `uninstall` keeps what the user made in local/ (SPEC §3): set aside in .lanspread-kept/,
// said in the output, brought back by the next install, never served; `--purge` deletes it.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree, subtree} from '../helpers/tree.js'

async function installedGame() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1.0'})
  await writeTarArchive(path.join(root, 'g.eti'), {'bin/game.sh': '#!/bin/sh\n', 'data/base.pak': 'base'.repeat(100), 'README.txt': 'readme'})
  const cli = (...args: string[]) => runCli([...args, '--games', lib.gamesDir], {timeout: 30_000})
  expect((await cli('install', 'g')).exitCode).toBe(0)
  const local = path.join(root, 'local')
  await fs.mkdir(path.join(local, 'saves'))
  await fs.writeFile(path.join(local, 'saves', 'slot1.sav'), 'precious')
  await fs.writeFile(path.join(local, 'README.txt'), 'my notes')
  return {root, local, kept: path.join(root, '.lanspread-kept'), cli, gamesDir: lib.gamesDir}
}

describe('uninstall keeps what the user made', () => {
  it('sets it aside, says so, never serves it, and the next install brings it back', async () => {
    const {root, local, kept, cli} = await installedGame()
    const sizeBefore = json<{games: {size: number}[]}>(await cli('library', '--json')).games[0]!.size

    const uninstalled = await cli('uninstall', 'g', '--json')
    expect(uninstalled.exitCode).toBe(0)
    expect(json(uninstalled)).toEqual({id: 'g', action: 'uninstalled', kept: ['README.txt', 'saves/', 'saves/slot1.sav'], kept_rule: 'record'})
    // Only the user's entries: nothing the archive extracted unchanged, nothing of lanspread's.
    expect(subtree(await snapshotTree(root), '.lanspread-kept')).toEqual({
      '.lanspread-kept': '<dir>',
      '.lanspread-kept/README.txt': 'my notes',
      '.lanspread-kept/saves': '<dir>',
      '.lanspread-kept/saves/slot1.sav': 'precious',
    })
    await expect(fs.stat(local)).rejects.toMatchObject({code: 'ENOENT'})
    // A reserved name: not part of the game's payload.
    expect(json<{games: {size: number}[]}>(await cli('library', '--json')).games[0]!.size).toBe(sizeBefore)

    const installed = await cli('install', 'g', '--json')
    expect(installed.exitCode).toBe(0)
    expect(json(installed)).toMatchObject({action: 'installed', kept: ['README.txt', 'saves/', 'saves/slot1.sav']})
    expect(await fs.readFile(path.join(local, 'saves', 'slot1.sav'), 'utf8')).toBe('precious')
    expect(await fs.readFile(path.join(local, 'README.txt'), 'utf8')).toBe('my notes')
    expect(await fs.readFile(path.join(local, 'bin', 'game.sh'), 'utf8')).toBe('#!/bin/sh\n')
    await expect(fs.stat(kept)).rejects.toMatchObject({code: 'ENOENT'})

    // The human output names what was kept; a second round keeps the same files.
    const human = await cli('uninstall', 'g')
    expect(String(human.stdout)).toContain('g uninstalled; kept 3 entries you made or changed in .lanspread-kept/: README.txt, saves/, saves/slot1.sav')
    expect(await fs.readFile(path.join(kept, 'saves', 'slot1.sav'), 'utf8')).toBe('precious')
  })

  it('--purge deletes them too and says so', async () => {
    const {root, kept, cli} = await installedGame()
    const purged = await cli('uninstall', 'g', '--purge', '--json')
    expect(json(purged)).toEqual({id: 'g', action: 'uninstalled', kept: [], kept_rule: 'purge'})
    await expect(fs.stat(kept)).rejects.toMatchObject({code: 'ENOENT'})
    expect((await fs.readdir(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'version.ini'])
  })

  it('does the same through serve, --purge included', async () => {
    const {kept, cli, gamesDir} = await installedGame()
    await startServe(gamesDir)
    expect(json(await cli('uninstall', 'g', '--json'))).toMatchObject({action: 'uninstalled', kept: ['README.txt', 'saves/', 'saves/slot1.sav']})
    expect(json(await cli('install', 'g', '--json'))).toMatchObject({action: 'installed', kept: ['README.txt', 'saves/', 'saves/slot1.sav']})
    expect(json(await cli('uninstall', 'g', '--purge', '--json'))).toMatchObject({action: 'uninstalled', kept: [], kept_rule: 'purge'})
    await expect(fs.stat(kept)).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('refuses an install where a kept folder stands in place of an archive file, keeping both as they were', async () => {
    const {root, kept, cli} = await installedGame()
    expect((await cli('uninstall', 'g')).exitCode).toBe(0)
    await fs.mkdir(path.join(kept, 'bin', 'game.sh'), {recursive: true})
    await fs.writeFile(path.join(kept, 'bin', 'game.sh', 'mine.txt'), 'mine')
    const before = subtree(await snapshotTree(root), '.lanspread-kept')
    const refused = await cli('install', 'g', '--json')
    expect(refused.exitCode).toBe(8)
    expect(json(refused)).toMatchObject({error: {code: 'invalid_input', message: expect.stringContaining('cannot bring back .lanspread-kept/bin/game.sh')}})
    expect(subtree(await snapshotTree(root), '.lanspread-kept')).toEqual(before)
    expect((await fs.readdir(root)).filter((name) => name.startsWith('.local') || name === 'local')).toEqual([])
  })
})
