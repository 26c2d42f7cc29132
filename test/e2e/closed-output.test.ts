// A reader that goes away early (`lanspread library --json | head -c 10`): the command stops
// quietly instead of dying with an EPIPE stack trace, and serve keeps serving.
import {spawn} from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

/** Runs the CLI with a stdout that is closed after its first bytes, as `| head -c 1` does. */
function runWithEarlyClose(args: string[]): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: {...process.env, LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.stdout.once('data', () => child.stdout.destroy())
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr})
    })
  })
}

async function bigLibrary(games: number) {
  const ids = Array.from({length: games}, (_, i) => `game-${String(i).padStart(4, '0')}`)
  const library = await makeTempLibrary(ids.map((id) => ({id, name: `A game with a long enough name to fill the pipe ${id}`})))
  for (const id of ids) await library.writeGame(id, {'version.ini': '1.0\n'})
  return library
}

describe('a reader that closes the output early', () => {
  it('ends scan (fast path), scan --json and library quietly, without a stack trace', async () => {
    // Enough games that the document is far larger than a pipe's buffer.
    const library = await bigLibrary(1_500)
    for (const args of [['scan'], ['scan', '--json'], ['library'], ['library', '--json']]) {
      const result = await runWithEarlyClose([...args, '--games', library.gamesDir])
      expect(result.stderr, args.join(' ')).not.toMatch(/EPIPE|at .*\.js:\d+/)
      expect(result.signal, args.join(' ')).toBeNull()
      expect(result.code, args.join(' ')).toBe(0)
    }
  })

  it('leaves serve serving when the reader of its event lines goes away', async () => {
    const library = await makeTempLibrary([
      {id: 'alpha', name: 'Alpha'},
      {id: 'beta', name: 'Beta'},
    ])
    await library.writeGame('alpha', {'version.ini': '1.0\n'})
    const serve = spawn(process.execPath, [CLI, 'serve', '--json', '--no-mdns', '--host', '127.0.0.1', '--port', '0', '--games', library.gamesDir], {
      cwd: REPO_ROOT,
      env: {...process.env, LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onTestFinished(() => void serve.kill('SIGKILL'))
    let stderr = ''
    serve.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
    // The reader takes the first line (listening) and goes away.
    await new Promise<void>((resolve, reject) => {
      serve.stdout.once('data', () => resolve())
      serve.once('exit', () => reject(new Error(`serve exited: ${stderr}`)))
    })
    serve.stdout.destroy()
    // Each change makes serve print an event line into the closed pipe.
    for (const version of ['2.0', '2.1']) {
      await fs.mkdir(path.join(library.gamesDir, 'beta'), {recursive: true})
      await fs.writeFile(path.join(library.gamesDir, 'beta', 'version.ini'), `${version}\n`)
      expect((await runCli(['scan', '--json', '--games', library.gamesDir])).exitCode).toBe(0)
    }
    const listed = json<{games: {id: string; eti_version: string}[]}>(await runCli(['library', '--json', '--games', library.gamesDir]))
    expect(listed.games.map((g) => [g.id, g.eti_version])).toEqual([
      ['alpha', '1.0'],
      ['beta', '2.1'],
    ])
    expect(serve.exitCode).toBeNull()
    expect(stderr).not.toMatch(/EPIPE/)
  })
})
