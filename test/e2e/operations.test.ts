import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {gameLockPath} from '../../src/ops/game-lock.js'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {holdLockInChild} from '../helpers/lock-holder.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree} from '../helpers/tree.js'

async function downloadedGame() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1.0'})
  await writeTarArchive(path.join(root, 'g.eti'), {'bin/run.sh': 'echo hi', 'data/a.pak': 'pak'}, {gzip: true})
  return {lib, root, games: ['--games', lib.gamesDir]}
}

describe('lanspread install / uninstall', () => {
  it('installs, refuses to reinstall without --update, updates and uninstalls', async () => {
    const {lib, root, games} = await downloadedGame()
    const installed = await runCli(['install', 'g', '--json', ...games])
    expect(installed.exitCode).toBe(0)
    expect(json(installed)).toEqual({id: 'g', action: 'installed', archives: ['g.eti']})
    expect(await fs.readFile(path.join(root, 'local/data/a.pak'), 'utf8')).toBe('pak')

    await fs.writeFile(path.join(root, 'local/save.dat'), 'mine')
    const again = await runCli(['install', 'g', ...games])
    expect(again.exitCode).toBe(0)
    expect(String(again.stdout)).toContain('already installed')
    expect(await fs.readFile(path.join(root, 'local/save.dat'), 'utf8')).toBe('mine')

    await writeTarArchive(path.join(root, 'g.eti'), {'bin/run.sh': 'echo v2'})
    expect(json(await runCli(['install', 'g', '--update', '--json', ...games]))).toMatchObject({action: 'updated'})
    // The user's save is kept; the old archive's data/ is gone.
    expect(await snapshotTree(path.join(root, 'local'))).toEqual({
      '.lanspread_owned': expect.any(String),
      '.lanspread_install.json': expect.any(String),
      bin: '<dir>',
      'bin/run.sh': 'echo v2',
      'save.dat': 'mine',
    })

    const library = json<{games: {installed: boolean}[]}>(await runCli(['library', '--json', ...games]))
    expect(library.games[0]!.installed).toBe(true)

    // The user's save is kept aside (uninstall-keeps.test.ts covers the rest).
    expect(json(await runCli(['uninstall', 'g', '--json', ...games]))).toEqual({id: 'g', action: 'uninstalled', kept: ['save.dat'], kept_rule: 'record'})
    await expect(fs.access(path.join(root, 'local'))).rejects.toThrow()
    expect(json(await runCli(['uninstall', 'g', '--json', ...games]))).toEqual({id: 'g', action: 'not_installed'})
    expect(Object.keys(await snapshotTree(root)).sort()).toEqual(['.lanspread-kept', '.lanspread-kept/save.dat', '.lanspread.json', 'g.eti', 'version.ini'])
    expect(JSON.parse(await fs.readFile(path.join(lib.gamesDir, 'g', '.lanspread.json'), 'utf8'))).toEqual({intent: 'None'})
  })

  it('exits with distinct codes for not found, not downloaded, and a corrupt archive', async () => {
    const {lib, root, games} = await downloadedGame()
    expect((await runCli(['install', 'nope', ...games])).exitCode).toBe(3)
    await lib.writeGame('bare', {'x.eti': 'x'})
    const notDownloaded = await runCli(['install', 'bare', ...games])
    expect(notDownloaded.exitCode).toBe(4)
    expect(String(notDownloaded.stderr)).toContain('game bare is not downloaded')

    await fs.writeFile(path.join(root, 'g.eti'), 'this is not an archive at all')
    const corrupt = await runCli(['install', 'g', '--json', ...games])
    expect(corrupt.exitCode).toBe(6)
    expect(json(corrupt)).toMatchObject({error: {code: 'archive_corrupt', message: expect.stringContaining('g.eti')}})
    expect(Object.keys(await snapshotTree(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'version.ini'])
  })

  it('leaves local/ as it was when an update meets a hostile archive', async () => {
    const {root, games} = await downloadedGame()
    expect((await runCli(['install', 'g', ...games])).exitCode).toBe(0)
    await fs.writeFile(path.join(root, 'local/save.dat'), 'mine')
    const before = await snapshotTree(root)
    // An absolute-path entry: tar's create keeps it only with preservePaths.
    const {create} = await import('tar')
    const outside = path.join(await makeTempDir(), 'outside.txt')
    await fs.writeFile(outside, 'x')
    await create({file: path.join(root, 'g.eti'), cwd: '/', preservePaths: true}, [outside])
    const update = await runCli(['install', 'g', '--update', '--json', ...games])
    expect(update.exitCode).toBe(7)
    expect(json(update)).toMatchObject({error: {code: 'archive_unsafe'}})
    const after = await snapshotTree(root)
    delete before['g.eti']
    delete after['g.eti']
    expect(after).toEqual(before)
  })

  it('fails at once with the busy code while another process holds the game, and takes over a dead holder', async () => {
    const {lib, root, games} = await downloadedGame()
    const lock = gameLockPath(lib.paths.locksDir, 'g')
    const holder = await holdLockInChild(lock)
    try {
      const started = Date.now()
      const busy = await runCli(['install', 'g', '--json', ...games])
      expect(busy.exitCode).toBe(5)
      expect(Date.now() - started).toBeLessThan(5000)
      expect(json(busy)).toMatchObject({error: {code: 'busy', message: expect.stringContaining('game g is busy: install by process')}})
      await expect(fs.access(path.join(root, 'local'))).rejects.toThrow()

      const recover = await runCli(['recover', '--json', ...games])
      expect(recover.exitCode).toBe(5)
      expect(json(recover)).toMatchObject({games: [{id: 'g', action: 'busy', code: 'busy'}]})
    } finally {
      await holder.kill()
    }
    expect((await runCli(['install', 'g', ...games])).exitCode).toBe(0)
  })
})

describe('lanspread recover', () => {
  it('--dry-run --json prints the plan and changes nothing; recover --json carries it out', async () => {
    const {lib, root, games} = await downloadedGame()
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"Installing"}', '.local.installing/half.txt': 'half', '.version.ini.tmp': 'x'})
    await lib.writeGame('h', {'.local.backup/mine.txt': 'user folder, no marker'})
    const before = await snapshotTree(lib.gamesDir)

    const plan = await runCli(['recover', '--dry-run', '--json', ...games])
    expect(plan.exitCode).toBe(0)
    const planned = json<{games: {id: string; intent: string; observed: object; action: string}[]}>(plan)
    expect(planned.games).toEqual([
      expect.objectContaining({
        id: 'g',
        intent: 'Installing',
        action: 'rolled_back',
        observed: expect.objectContaining({local: false, installing: 'unmarked', scratch: ['.version.ini.tmp']}),
      }),
      expect.objectContaining({id: 'h', intent: 'None', action: 'nothing_to_do', observed: expect.objectContaining({backup: 'unmarked'})}),
    ])
    delete before['.lanspread']
    const afterPlan = await snapshotTree(lib.gamesDir)
    expect(Object.fromEntries(Object.entries(afterPlan).filter(([p]) => !p.startsWith('.lanspread')))).toEqual(
      Object.fromEntries(Object.entries(before).filter(([p]) => !p.startsWith('.lanspread'))),
    )

    const done = await runCli(['recover', '--json', ...games])
    expect(json(done)).toMatchObject({
      games: [
        {id: 'g', action: 'rolled_back'},
        {id: 'h', action: 'nothing_to_do'},
      ],
    })
    expect(Object.keys(await snapshotTree(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'version.ini'])
    expect(await fs.readFile(lib.file('h', '.local.backup', 'mine.txt'), 'utf8')).toBe('user folder, no marker')
  })

  it('recovers the other games when one cannot be repaired, and exits non-zero naming it', async () => {
    const {lib, games} = await downloadedGame()
    await lib.writeGame('aaa', {local: 'a file in the way', '.local.backup/which.txt': 'old', '.lanspread.json': '{"intent":"Updating"}'})
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"Installing"}', '.local.installing/x': 'x'})
    const result = await runCli(['recover', '--json', ...games])
    expect(result.exitCode).toBe(8)
    expect(json(result)).toMatchObject({
      games: [
        {id: 'aaa', action: 'failed', code: 'invalid_input', description: expect.stringContaining('local exists and is not a folder')},
        {id: 'g', action: 'rolled_back'},
      ],
    })
    const human = await runCli(['recover', ...games])
    expect(String(human.stderr)).toContain('not recovered: aaa (failed)')
    expect(await fs.readFile(lib.file('aaa', 'local'), 'utf8')).toBe('a file in the way')
  })

  it('names a missing games folder', async () => {
    const {lib} = await downloadedGame()
    const result = await runCli(['recover', '--games', `${lib.gamesDir}/missing`])
    expect(result.exitCode).toBe(3)
    expect(String(result.stderr)).toContain(`games folder not found: ${lib.gamesDir}/missing`)
  })

  it('recovers only the named games, and works without a catalog', async () => {
    const {lib, games} = await downloadedGame()
    await fs.rm(lib.paths.catalogPath)
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"Uninstalling"}', '.local.backup/x': 'x'})
    await lib.writeGame('other', {'.lanspread.json': '{"intent":"Uninstalling"}', '.local.backup/x': 'x'})
    const result = await runCli(['recover', 'g', '--json', ...games])
    expect(result.exitCode).toBe(0)
    expect(json(result)).toMatchObject({games: [{id: 'g', action: 'rolled_forward'}]})
    expect(String(result.stderr)).toContain(`no catalog at ${lib.paths.catalogPath}`)
    await fs.access(lib.file('other', '.local.backup', 'x'))
  })
})
