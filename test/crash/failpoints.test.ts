// For every failpoint of install, update and uninstall: run the real CLI until it dies
// there, run `lanspread recover`, and check the invariant — the game is in its before or
// its after state, nothing of ours is left over, the user's files survive a roll back
// (and an update's roll forward: it keeps them).
import {execa} from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {gamePaths} from '../../src/library/layout.js'
import {FAILPOINTS, type Failpoint} from '../../src/util/failpoints.js'
import {INSTALL_RECORD} from '../../src/ops/install-record.js'
import {readIntent} from '../../src/ops/intent-log.js'
import {writeTarArchive} from '../helpers/archives.js'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree, subtree} from '../helpers/tree.js'

type Scenario = 'install' | 'update' | 'uninstall' | 'purge' | 'reinstall'

const ARGS: Record<Scenario, string[]> = {
  install: ['install', 'g'],
  update: ['install', 'g', '--update'],
  uninstall: ['uninstall', 'g'],
  purge: ['uninstall', 'g', '--purge'],
  reinstall: ['install', 'g'],
}

/** The failpoints each scenario passes: an uninstall keeps the user's files, a purge deletes the backup. */
const POINTS: Record<Scenario, Failpoint[]> = {
  install: FAILPOINTS.filter((p) => p.startsWith('install.')),
  update: FAILPOINTS.filter((p) => p.startsWith('update.')),
  uninstall: FAILPOINTS.filter((p) => p.startsWith('uninstall.') && p !== 'uninstall.backup-deleted'),
  purge: ['uninstall.intent-written', 'uninstall.backup-moved', 'uninstall.backup-deleted', 'uninstall.intent-cleared'],
  reinstall: FAILPOINTS.filter((p) => p.startsWith('install.')),
}

async function writeArchives(root: string, version: string): Promise<void> {
  await writeTarArchive(path.join(root, 'a.eti'), {'bin/game.sh': `#!/bin/sh\necho ${version}\n`, 'data/base.pak': `base ${version}`.repeat(100)}, {gzip: true})
  await writeTarArchive(path.join(root, 'b.eti'), {'data/maps/e1.bsp': `map ${version}`, 'README.txt': `readme ${version}`})
}

/**
 * A game folder ready for the scenario: installed with a user file for update and
 * uninstall, and an extracted file the user changed (an update keeps both).
 */
async function prepare(scenario: Scenario) {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1.0'})
  await writeArchives(root, 'v1')
  if (scenario !== 'install') {
    expect((await runCli(['install', 'g', '--games', lib.gamesDir])).exitCode).toBe(0)
    await fs.writeFile(path.join(root, 'local', 'user-save.dat'), 'precious')
    await fs.writeFile(path.join(root, 'local', 'README.txt'), 'my notes')
    if (scenario === 'update') await writeArchives(root, 'v2')
    // Uninstalled, the user's files kept aside for the install under test to bring back.
    if (scenario === 'reinstall') expect((await runCli(['uninstall', 'g', '--games', lib.gamesDir])).exitCode).toBe(0)
  }
  return {lib, root}
}

/** local/ without the install record, whose mtimes differ from one preparation to the next. */
async function localTree(root: string): Promise<Record<string, string>> {
  const local = subtree(await snapshotTree(root), 'local')
  delete local[`local/${INSTALL_RECORD}`]
  return local
}

/** The game's local/ before the operation and after it ran to completion. */
async function beforeAndAfter(scenario: Scenario) {
  const {lib, root} = await prepare(scenario)
  const before = await localTree(root)
  expect((await runCli([...ARGS[scenario], '--games', lib.gamesDir])).exitCode).toBe(0)
  const after = await localTree(root)
  expect(after).not.toEqual(before)
  return {before, after}
}

describe.each(['install', 'update', 'uninstall', 'purge', 'reinstall'] as const)('crash during %s', (scenario) => {
  const points = POINTS[scenario]

  it.each(points)('dies at %s, and recover brings the game to its before or after state', async (point) => {
    const expected = await beforeAndAfter(scenario)
    const {lib, root} = await prepare(scenario)
    const crashed = await runCli([...ARGS[scenario], '--games', lib.gamesDir], {env: {LANSPREAD_FAILPOINT: point}})
    expect(crashed.signal).toBe('SIGKILL')

    const recovered = await runCli(['recover', '--json', '--games', lib.gamesDir])
    expect(recovered.exitCode).toBe(0)
    expect(json<{games: {id: string; action: string}[]}>(recovered).games.map((g) => g.id)).toEqual(['g'])

    const tree = await snapshotTree(root)
    const local = await localTree(root)
    // Before the operation, local/ of update and uninstall holds the user's save: a roll
    // back that lost it would match neither state.
    expect([expected.before, expected.after]).toContainEqual(local)
    if (scenario !== 'install' && scenario !== 'reinstall') expect(expected.before['local/user-save.dat']).toBe('precious')
    // A reinstall has them in local/ (brought back) or still in .lanspread-kept/.
    if (scenario === 'reinstall')
      expect([local['local/user-save.dat'] ?? tree['.lanspread-kept/user-save.dat'], local['local/README.txt'] ?? tree['.lanspread-kept/README.txt']]).toEqual([
        'precious',
        'my notes',
      ])
    // An update keeps the user's files whichever way recovery went.
    if (scenario === 'update') expect([local['local/user-save.dat'], local['local/README.txt']]).toEqual(['precious', 'my notes'])
    // An uninstall rolled forward keeps them aside (so does a purge interrupted before its delete).
    const kept = [tree['.lanspread-kept/user-save.dat'], tree['.lanspread-kept/README.txt']]
    if (!local.local && (scenario === 'uninstall' || point === 'uninstall.backup-moved')) expect(kept).toEqual(['precious', 'my notes'])
    if (scenario === 'purge' && point !== 'uninstall.backup-moved') expect(kept).toEqual([undefined, undefined])
    if (local.local) expect(tree[`local/${INSTALL_RECORD}`]).toBeDefined()
    const leftovers = Object.keys(tree).filter((p) => /^\.local\.(installing|backup)|^\.version\.ini\.|^\.lanspread\.json\./.test(p))
    expect(leftovers).toEqual([])
    expect(await readIntent(gamePaths(lib.gamesDir, 'g'))).toBe('None')
  })
})

it('lists a failpoint for every step of every operation', () => {
  expect(FAILPOINTS.filter((p) => p.startsWith('install.'))).toHaveLength(7)
  expect(FAILPOINTS.filter((p) => p.startsWith('update.'))).toHaveLength(9)
  expect(FAILPOINTS.filter((p) => p.startsWith('uninstall.'))).toHaveLength(6)
})

it('names every failpoint in the sequence table of IMPL_DECISIONS.md, and no other', async () => {
  const decisions = await fs.readFile(path.join(REPO_ROOT, 'IMPL_DECISIONS.md'), 'utf8')
  const named = new Set(decisions.match(/`(?:install|update|uninstall)\.[a-z-]+`/g)?.map((m) => m.slice(1, -1)))
  // The download failpoints have their own table and test (download-failpoints.test.ts).
  expect([...named].sort()).toEqual(FAILPOINTS.filter((p) => !p.startsWith('download.')).sort())
})

it('Ctrl-C during an install explains how the game is repaired, and recover repairs it', async () => {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1.0'})
  await writeTarArchive(path.join(root, 'g.eti'), Object.fromEntries(Array.from({length: 12}, (_, i) => [`f${i}.bin`, Buffer.alloc(8 << 20, i)])))
  const child = execa('node', [CLI, 'install', 'g', '--games', lib.gamesDir], {reject: false, stdin: 'ignore', timeout: 60_000})
  // Interrupt once extraction has begun (the staging folder exists).
  await waitFor(async () => (await fs.readdir(root)).includes('.local.installing'))
  child.kill('SIGINT')
  const result = await child
  expect(result.exitCode).toBe(130)
  expect(String(result.stderr)).toContain('Interrupted: g is left for recovery')
  expect(json(await runCli(['recover', 'g', '--json', '--games', lib.gamesDir]))).toMatchObject({games: [{id: 'g', action: 'rolled_back'}]})
  expect((await fs.readdir(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'version.ini'])
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
