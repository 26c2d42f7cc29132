// `lanspread install --update` through the built CLI: the user's save and changed config
// survive, an untouched file becomes the new version; `--clean` replaces everything.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function installedWithUserFiles() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1'})
  const games = ['--games', lib.gamesDir]
  await writeTarArchive(path.join(root, 'g.eti'), {'game.bin': 'v1', 'game.cfg': 'volume=5'}, {gzip: true})
  expect((await runCli(['install', 'g', ...games])).exitCode).toBe(0)
  await fs.mkdir(path.join(root, 'local', 'saves'))
  await fs.writeFile(path.join(root, 'local', 'saves', 'slot1.sav'), 'level 12')
  await fs.writeFile(path.join(root, 'local', 'game.cfg'), 'volume=11')
  await writeTarArchive(path.join(root, 'g.eti'), {'game.bin': 'v2', 'game.cfg': 'volume=7'}, {gzip: true})
  const read = (name: string) => fs.readFile(path.join(root, 'local', name), 'utf8')
  return {lib, root, games, read}
}

describe('install --update', () => {
  it('keeps the save and the changed config; the untouched file is the new version', async () => {
    const {games, read} = await installedWithUserFiles()
    const update = await runCli(['install', 'g', '--update', '--json', ...games])
    expect(update.exitCode).toBe(0)
    expect(json(update)).toEqual({id: 'g', action: 'updated', archives: ['g.eti'], kept: ['game.cfg', 'saves/', 'saves/slot1.sav'], kept_rule: 'record'})
    expect([await read('saves/slot1.sav'), await read('game.cfg'), await read('game.bin')]).toEqual(['level 12', 'volume=11', 'v2'])
  })

  it('says what it kept, and warns when local/ has no install record', async () => {
    const {games, root} = await installedWithUserFiles()
    await fs.rm(path.join(root, 'local', '.lanspread_install.json'))
    const update = await runCli(['install', 'g', '--update', ...games])
    expect(update.exitCode).toBe(0)
    expect(String(update.stdout)).toContain('g updated from g.eti; kept 2 entries you made or changed in local/')
    expect(String(update.stderr)).toContain('local/ had no install record')
  })

  it('--clean replaces everything', async () => {
    const {games, root, read} = await installedWithUserFiles()
    const update = await runCli(['install', 'g', '--update', '--clean', '--json', ...games])
    expect(json(update)).toMatchObject({action: 'updated', kept: [], kept_rule: 'clean'})
    expect((await fs.readdir(path.join(root, 'local'))).sort()).toEqual(['.lanspread_install.json', '.lanspread_owned', 'game.bin', 'game.cfg'])
    expect(await read('game.cfg')).toBe('volume=7')
  })

  it('--clean without --update is a usage error', async () => {
    const {games} = await installedWithUserFiles()
    expect((await runCli(['install', 'g', '--clean', ...games])).exitCode).toBe(2)
  })
})
