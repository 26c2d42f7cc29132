// `recover --dry-run` writes nothing at all: no lock file, no state folder, no index repair,
// no scratch swept. Every file under the games folder keeps its bytes and mtime.
import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {gameLockPath} from '../../src/ops/game-lock.js'
import {json, runCli} from '../helpers/cli.js'
import {holdLockInChild} from '../helpers/lock-holder.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

/** Every entry under `dir`: type, size, mtime and (for files) a digest of the bytes. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const relative of (await fs.readdir(dir, {recursive: true})).sort()) {
    const full = path.join(dir, relative)
    const stats = await fs.lstat(full)
    const digest = stats.isFile()
      ? createHash('sha256')
          .update(await fs.readFile(full))
          .digest('hex')
      : stats.isSymbolicLink()
        ? await fs.readlink(full)
        : 'dir'
    out[relative] = `${stats.mode} ${stats.size} ${stats.mtimeMs} ${digest}`
  }
  return out
}

async function gamesMidOperation() {
  const lib = await makeTempLibrary([
    {id: 'g', name: 'G'},
    {id: 'h', name: 'H'},
  ])
  await lib.writeGame('g', {'version.ini': '1', '.lanspread.json': '{"intent":"Installing"}', '.local.installing/partial.bin': 'half'})
  await lib.writeGame('h', {'version.ini': '1', '.version.ini.tmp': 'scratch', '.lanspread.json.1234': 'temp of the log'})
  return lib
}

describe('recover --dry-run', () => {
  it('over a corrupt index.json and a game mid-operation, changes no byte and no mtime, and creates nothing', async () => {
    const lib = await gamesMidOperation()
    const games = ['--games', lib.gamesDir]
    expect((await runCli(['scan', ...games])).exitCode).toBe(0)
    await fs.writeFile(lib.paths.indexPath, '{ this is not json')
    const before = await listing(lib.gamesDir)

    const plan = await runCli(['recover', '--dry-run', '--json', ...games])
    expect(plan.exitCode).toBe(0)
    expect(json(plan)).toMatchObject({
      games: [
        {id: 'g', action: 'rolled_back'},
        {id: 'h', action: 'scratch_removed', description: 'remove .version.ini.tmp'},
      ],
    })
    const human = await runCli(['recover', 'g', '--dry-run', ...games])
    expect(human.exitCode).toBe(0)
    expect(String(human.stdout)).toContain('delete .local.installing')

    expect(await listing(lib.gamesDir)).toEqual(before)
  })

  it('creates no state folder where there is none', async () => {
    const lib = await gamesMidOperation()
    const before = await listing(lib.gamesDir)
    expect((await runCli(['recover', '--dry-run', '--games', lib.gamesDir])).exitCode).toBe(0)
    expect(await listing(lib.gamesDir)).toEqual(before)
    await expect(fs.lstat(lib.paths.stateDir)).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('reports a game whose lock a live process holds as busy, without taking or touching the lock', async () => {
    const lib = await gamesMidOperation()
    const games = ['--games', lib.gamesDir]
    const holder = await holdLockInChild(gameLockPath(lib.paths.locksDir, 'g'))
    try {
      const before = await listing(lib.gamesDir)
      const plan = await runCli(['recover', '--dry-run', '--json', ...games])
      expect(plan.exitCode).toBe(5)
      expect(json(plan)).toMatchObject({
        games: [
          {id: 'g', action: 'busy', code: 'busy'},
          {id: 'h', action: 'scratch_removed'},
        ],
      })
      expect(await listing(lib.gamesDir)).toEqual(before)
    } finally {
      await holder.kill()
    }
    // A dead holder's lock is no holder for a plan, and is left for the real recover to take over.
    const before = await listing(lib.gamesDir)
    expect(json(await runCli(['recover', 'g', '--dry-run', '--json', ...games]))).toMatchObject({games: [{id: 'g', action: 'rolled_back'}]})
    expect(await listing(lib.gamesDir)).toEqual(before)
  })
})
