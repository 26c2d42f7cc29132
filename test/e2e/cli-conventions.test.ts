// oclif conventions through the built CLI: help, "did you mean", shell completion, and the
// promise that under --json stdout is one JSON document whatever happens.
import {execa, execaSync} from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {EXIT_CODES, exitCodeRows} from '../../src/cli/exit-codes.js'
import {CLI, json, runCli} from '../helpers/cli.js'
import {writeTarArchive} from '../helpers/archives.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'
import {missingOutsideCi} from '../helpers/requirements.js'

describe('lanspread help', () => {
  it('shows the commands, global flags, environment, every exit code and an example per command', async () => {
    for (const argv of [['help'], ['--help'], []]) {
      const result = await runCli(argv)
      expect(result.exitCode).toBe(0)
      const out = String(result.stdout)
      for (const command of ['scan', 'library', 'install', 'uninstall', 'recover', 'help', 'autocomplete']) {
        expect(out).toMatch(new RegExp(`^  ${command}\\s`, 'm'))
        expect(out).toMatch(new RegExp(`^  \\$ lanspread ${command}\\b`, 'm'))
      }
      expect(out).toContain('GLOBAL FLAGS')
      for (const flag of ['--games', '--state-dir', '--catalog', '--json']) expect(out).toContain(flag)
      for (const env of ['LANSPREAD_GAMES', 'LANSPREAD_DEBUG', 'LANSPREAD_FAILPOINT', 'LANSPREAD_BLAKE3']) expect(out).toContain(env)
      for (const [code] of exitCodeRows()) expect(out).toMatch(new RegExp(`^  ${code}\\s`, 'm'))
      expect(out).not.toContain('$ $')
    }
  })

  it('shows one command', async () => {
    const result = await runCli(['help', 'install'])
    expect(result.exitCode).toBe(0)
    expect(String(result.stdout)).toContain('$ lanspread install quake3')
  })
})

describe('an unknown command', () => {
  it('is a usage error that suggests the nearest command', async () => {
    const result = await runCli(['sacn'])
    expect(result.exitCode).toBe(EXIT_CODES.usage)
    expect(String(result.stdout)).toBe('')
    expect(String(result.stderr)).toContain('Error: unknown command sacn')
    expect(String(result.stderr)).toContain('did you mean `lanspread scan`?')
  })

  it('under --json, anywhere on the line, is one JSON error document on stdout', async () => {
    for (const argv of [['sacn', '--json'], ['sacn', '--games', '/x', '--json'], ['--json', 'sacn'], ['--json']]) {
      const result = await runCli(argv)
      expect(result.exitCode).toBe(2)
      const doc = json<{error: {code: string; message: string; hint: string}}>(result)
      expect(doc.error.code).toBe('usage')
      expect(doc.error.hint).toContain('lanspread help')
      expect(String(result.stdout).trim().split('\n')).toHaveLength(1)
    }
    expect(json(await runCli(['instal', '--json']))).toEqual({
      error: {code: 'usage', message: 'unknown command instal', hint: expect.stringContaining('did you mean `lanspread install`?')},
    })
  })

  it('never waits on a prompt when stdin is not a terminal', async () => {
    const result = await execa('node', [CLI, 'sacn'], {reject: false, input: 'y\n', timeout: 10_000})
    expect(result.exitCode).toBe(2)
    expect(String(result.stdout)).toBe('')
  })

  // util-linux `script` gives the CLI a terminal, as a person at a keyboard has.
  const hasScript = execaSync('sh', ['-c', 'command -v script'], {reject: false}).exitCode === 0
  it.skipIf(missingOutsideCi(!hasScript))('at a terminal asks "Did you mean scan?" and runs it, flags included, on yes', async () => {
    const command = `node ${CLI} sacn --games /nonexistent-lanspread-games`
    const yes = await execa('script', ['-qec', command, '/dev/null'], {reject: false, input: 'y\r', timeout: 20_000, env: {LANSPREAD_GAMES: ''}})
    expect(String(yes.stdout)).toContain('Did you mean')
    expect(String(yes.stdout)).toContain('games folder not found: /nonexistent-lanspread-games')
    expect(yes.exitCode).toBe(3)
    const no = await execa('script', ['-qec', command, '/dev/null'], {reject: false, input: 'n\r', timeout: 20_000, env: {LANSPREAD_GAMES: ''}})
    expect(String(no.stdout)).toContain('unknown command sacn')
    expect(no.exitCode).toBe(2)
  })

  it('an error of a plugin command under --json is the JSON error document too', async () => {
    const result = await runCli(['help', 'nope', '--json'])
    expect(result.exitCode).toBe(2)
    expect(json(result)).toMatchObject({error: {code: 'usage'}})
  })
})

describe('lanspread autocomplete', () => {
  it('prints the set-up for bash', async () => {
    const cache = await makeTempDir()
    const result = await runCli(['autocomplete', 'bash'], {env: {XDG_CACHE_HOME: cache, LANSPREAD_CACHE_DIR: cache}})
    expect(result.exitCode).toBe(0)
    expect(String(result.stdout)).toContain('lanspread')
    expect(String(result.stdout)).toMatch(/bashrc|bash_profile/)
  })
})

describe('--json output', () => {
  it('is plain compact JSON: one line, no colour codes', async () => {
    const lib = await makeTempLibrary([{id: 'quake3', name: 'Quake III Arena'}])
    await lib.writeGame('quake3', {'version.ini': '1.32\n'})
    const result = await runCli(['library', '--json', '--games', lib.gamesDir], {env: {FORCE_COLOR: '1'}})
    expect(result.exitCode).toBe(0)
    const out = String(result.stdout)
    expect(out).not.toContain('\u001B[')
    expect(out.startsWith('{"')).toBe(true) // not pretty-printed
    expect(out.trim().split('\n')).toHaveLength(1)
    expect(json(result)).toMatchObject({games: [{id: 'quake3'}]})
  })
})

describe('recover --json that cannot repair a game', () => {
  it('prints the error document with every game beside it, and the error exit code', async () => {
    const lib = await makeTempLibrary([
      {id: 'g', name: 'G'},
      {id: 'ok', name: 'OK'},
    ])
    // A file named local stands where the backup must go back: recovery cannot repair g.
    await lib.writeGame('g', {'version.ini': '1', local: 'a file', '.local.backup/which.txt': 'backup', '.lanspread.json': '{"intent":"Updating"}'})
    await lib.writeGame('ok', {'version.ini': '1'})
    const result = await runCli(['recover', '--json', '--games', lib.gamesDir])
    const doc = json<{error: {code: string; message: string; hint: string}; games: {id: string; action: string}[]}>(result)
    expect(result.exitCode).not.toBe(0)
    expect(result.exitCode).toBe(EXIT_CODES[doc.error.code as keyof typeof EXIT_CODES])
    expect(doc.error.message).toContain('not recovered: g (failed)')
    expect(doc.games.map((g) => [g.id, g.action])).toEqual([
      ['g', 'failed'],
      ['ok', 'nothing_to_do'],
    ])
  })
})

describe('Ctrl-C and SIGTERM during an install', () => {
  async function installBeingExtracted(args: string[]) {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const root = await lib.writeGame('g', {'version.ini': '1.0'})
    await writeTarArchive(path.join(root, 'g.eti'), Object.fromEntries(Array.from({length: 12}, (_, i) => [`f${i}.bin`, Buffer.alloc(8 << 20, i)])))
    const child = execa('node', [CLI, 'install', 'g', '--games', lib.gamesDir, ...args], {reject: false, stdin: 'ignore', timeout: 60_000})
    await waitFor(async () => (await fs.readdir(root)).includes('.local.installing'))
    // An execa child is a promise: returned bare from an async function it would be awaited here.
    return {child}
  }

  it.each([
    ['SIGINT', 130, 'interrupted'],
    ['SIGTERM', 143, 'terminated'],
  ] as const)('%s under --json prints one JSON error document and exits %i', async (signal, exitCode, code) => {
    const {child} = await installBeingExtracted(['--json'])
    child.kill(signal)
    const result = await child
    expect(result.exitCode).toBe(exitCode)
    expect(json(result)).toEqual({
      error: {code, message: 'interrupted: g is left for recovery', hint: 'the next operation on it repairs it first, or run `lanspread recover g`'},
    })
  })

  it('SIGTERM prints what Ctrl-C prints', async () => {
    const {child} = await installBeingExtracted([])
    child.kill('SIGTERM')
    const result = await child
    expect(result.exitCode).toBe(143)
    expect(String(result.stderr)).toContain('Interrupted: g is left for recovery; the next operation on it repairs it first, or run `lanspread recover g`')
  })
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
