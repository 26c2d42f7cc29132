// The library as a user meets it when something is off: a game left mid-operation, a game
// folder this user cannot read, a state folder that cannot be written.
import {execa} from 'execa'
import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {CLI, json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function library() {
  const lib = await makeTempLibrary([
    {id: 'quake3', name: 'Quake III Arena'},
    {id: 'doom', name: 'Doom'},
  ])
  await lib.writeGame('quake3', {'version.ini': '1.32\n', 'pak0.eti': 'x'.repeat(2048)})
  await lib.writeGame('doom', {'version.ini': '1.9\n', 'doom.eti': 'd'})
  return lib
}

describe('a game left mid-operation', () => {
  it('is marked in the table and --json, with the recover hint on stderr', async () => {
    const lib = await library()
    await lib.writeGame('doom', {'.lanspread.json': '{"intent":"Installing"}', '.local.installing/.lanspread_owned': ''})
    const human = await runCli(['scan', '--games', lib.gamesDir])
    expect(human.exitCode).toBe(0)
    expect(String(human.stdout)).toMatch(/doom\s+Doom\s+1\.9\s+.*local_only, needs recovery/)
    expect(String(human.stderr)).toContain('lanspread recover doom')
    const doc = json<{games: {id: string; needs_recovery: boolean; availability: string}[]}>(await runCli(['library', '--json', '--games', lib.gamesDir]))
    expect(doc.games.map((g) => [g.id, g.needs_recovery, g.availability])).toEqual([
      ['doom', true, 'local_only'],
      ['quake3', false, 'ready'],
    ])
  })
})

describe('a game folder that cannot be read', () => {
  /**
   * As root, chmod 000 does not stop reads (CAP_DAC_OVERRIDE): root runs the CLI without its
   * two permission-override capabilities, so it meets the mode bits as a plain user would.
   * Staying root, not becoming nobody, it still reads the CLI wherever the clone lives (a 0700
   * home, /root, a mktemp -d folder). A plain user meets the mode bits as it is.
   */
  function withoutPermissionOverride([file, ...args]: [string, ...string[]]): [string, string[]] {
    if (process.getuid?.() !== 0) return [file, args]
    const caps = '-dac_override,-dac_read_search'
    return ['setpriv', [`--bounding-set=${caps}`, `--inh-caps=${caps}`, '--', file, ...args]]
  }

  it('is skipped with the reason, as a user without permission, and the rest is scanned', async () => {
    const lib = await library()
    await fs.chmod(lib.file('doom'), 0o000)
    const asPlainUser = async (args: string[]) =>
      execa(...withoutPermissionOverride(['node', CLI, ...args]), {
        reject: false,
        env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
        timeout: 20_000,
        stdin: 'ignore',
      })
    // The folder must really be unreadable to the CLI, or the test would prove nothing.
    const probe = await execa(...withoutPermissionOverride(['node', '-e', `require('node:fs').readdirSync(${JSON.stringify(lib.file('doom'))})`]), {
      reject: false,
    })
    expect(String(probe.stderr)).toContain('EACCES')
    const scan = await asPlainUser(['scan', '--json', '--games', lib.gamesDir])
    expect(scan.exitCode).toBe(0)
    const doc = json<{games: {id: string}[]; scan: {skipped: {id: string; reason: string}[]}}>(scan)
    expect(doc.games.map((g) => g.id)).toEqual(['quake3'])
    expect(doc.scan.skipped).toEqual([{id: 'doom', reason: expect.stringContaining('permission denied')}])
    expect(String(scan.stderr)).toContain('skipped game folder doom: permission denied')
    const shown = await asPlainUser(['library', '--games', lib.gamesDir])
    expect(shown.exitCode).toBe(0)
    expect(String(shown.stdout)).toContain('quake3')
  })
})

describe('a state folder that cannot be written', () => {
  /** Mounts the state folder read-only over itself (root only); undefined where that is not allowed. */
  async function readOnlyState(dir: string): Promise<(() => Promise<void>) | undefined> {
    const mounted = await execa('mount', ['--bind', '-o', 'ro', dir, dir], {reject: false})
    if (mounted.exitCode !== 0) return undefined
    return async () => {
      await execa('umount', [dir], {reject: false})
    }
  }

  it('library still shows the library with a warning naming the folder; scan fails saying use --state-dir', async () => {
    const lib = await library()
    await runCli(['scan', '--games', lib.gamesDir])
    await fs.writeFile(lib.file('doom', 'doom.eti'), 'changed') // something to save
    const unmount = await readOnlyState(lib.paths.stateDir)
    if (!unmount) return
    try {
      const shown = await runCli(['library', '--json', '--games', lib.gamesDir])
      expect(shown.exitCode).toBe(0)
      expect(json<{games: {id: string; size: number}[]}>(shown).games.find((g) => g.id === 'doom')!.size).toBe(4 + 7)
      expect(String(shown.stderr)).toContain(`the state folder ${lib.paths.stateDir} cannot be written (read-only file system)`)
      expect(String(shown.stderr)).toContain('--state-dir')
      const scan = await runCli(['scan', '--games', lib.gamesDir])
      expect(scan.exitCode).not.toBe(0)
      expect(String(scan.stderr)).toContain(`cannot write the state folder ${lib.paths.stateDir}: read-only file system`)
      expect(String(scan.stderr)).toContain('--state-dir')
    } finally {
      await unmount()
    }
  })
})
