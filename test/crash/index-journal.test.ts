// For every step of an index save (a journal record appended, or a compaction: new index.json,
// then index.log removed): run the real CLI until it is killed there (LANSPREAD_FAILPOINT,
// SIGKILL), then check that a fresh `library` shows the library before or after the change and
// a fresh `scan` the one after, with library_rev never going back.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {INDEX_FAILPOINTS} from '../../src/library/index-store.js'
import {json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

interface Doc {
  library_rev: number
  library_epoch: string
  games: {id: string; eti_version: string | null; size: number}[]
}

async function prepared() {
  const lib = await makeTempLibrary([
    {id: 'a', name: 'A'},
    {id: 'b', name: 'B'},
  ])
  for (const id of ['a', 'b']) await lib.writeGame(id, {'version.ini': '1.0', [`${id}.eti`]: id})
  const games = ['--games', lib.gamesDir]
  expect((await runCli(['scan', ...games])).exitCode).toBe(0)
  await fs.writeFile(lib.file('b', 'version.ini'), '1.1')
  expect((await runCli(['scan', ...games])).exitCode).toBe(0) // a record in index.log
  return {lib, games}
}

describe('a save of the index killed at each step', () => {
  it.each(
    INDEX_FAILPOINTS.flatMap((step) => [
      [step, false],
      [step, true],
    ]),
  )('%s (compaction: %s) loads to the library before or after the change', {timeout: 30_000}, async (step, compaction) => {
    const {lib, games} = await prepared()
    const before = json<Doc>(await runCli(['library', '--json', ...games]))
    // A torn last record makes the next save compact (it rewrites the journal away).
    if (compaction) await fs.appendFile(path.join(lib.paths.stateDir, 'index.log'), '{"journal_id":"0')
    await fs.writeFile(lib.file('a', 'version.ini'), '2.0')
    const killed = await runCli(['scan', '--json', ...games], {env: {LANSPREAD_FAILPOINT: step}})
    // A save appends a record or compacts, never both: the other kind's steps are not reached.
    const taken = step === 'index.rev-written' || (step === 'index.journal-appended') !== compaction
    expect(killed.signal ?? killed.exitCode, String(killed.stderr)).toBe(taken ? 'SIGKILL' : 0)
    const shown = json<Doc>(await runCli(['library', '--json', ...games]))
    const version = shown.games.find((g) => g.id === 'a')!.eti_version
    expect(['1.0', '2.0']).toContain(version)
    expect(shown.library_epoch).toBe(before.library_epoch)
    expect(shown.library_rev).toBeGreaterThanOrEqual(before.library_rev)
    const scanned = json<Doc>(await runCli(['scan', '--json', ...games]))
    expect(scanned.games.map((g) => [g.id, g.eti_version])).toEqual([
      ['a', '2.0'],
      ['b', '1.1'],
    ])
    expect(scanned.library_rev).toBeGreaterThan(before.library_rev)
    expect(scanned.library_epoch).toBe(before.library_epoch)
  })
})
