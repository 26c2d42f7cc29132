import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempDir} from '../helpers/temp-library.js'

/** Every command a new user types first, on a games folder with no catalog.json (issue 19, item 13). */
const FRESH_COMMANDS: {args: string[]; exitCode: number}[] = [
  {args: ['scan'], exitCode: 0},
  {args: ['library'], exitCode: 0},
  {args: ['recover'], exitCode: 0},
  {args: ['install', 'quake'], exitCode: 3},
  {args: ['uninstall', 'quake'], exitCode: 3},
  {args: ['fetch', 'quake', '--no-mdns'], exitCode: 9},
  {args: ['peers', '--no-mdns'], exitCode: 9},
]

function warningsIn(stderr: unknown, file: string): number {
  return String(stderr).split(`no catalog at ${file}`).length - 1
}

describe('a fresh games folder without catalog.json', () => {
  it.each(FRESH_COMMANDS)('$args: no catalog error, the warning at most once and only on stderr', async ({args, exitCode}) => {
    const games = await makeTempDir('lanspread-fresh-')
    const catalog = path.join(games, 'catalog.json')
    for (const machine of [false, true]) {
      const result = await runCli([...args, '--games', games, ...(machine ? ['--json'] : [])], {timeout: 30_000})
      expect(result.exitCode, String(result.stderr)).toBe(exitCode)
      expect(String(result.stderr)).not.toMatch(/catalog not found|\n\s+at /)
      expect(warningsIn(result.stderr, catalog)).toBeLessThanOrEqual(1)
      expect(String(result.stdout)).not.toContain('no catalog')
      if (machine) json(result) // stdout is exactly one JSON document
    }
  })

  it('scan and library say the catalog is missing once, and work', async () => {
    const games = await makeTempDir('lanspread-fresh-')
    await fs.mkdir(path.join(games, 'quake'))
    await fs.writeFile(path.join(games, 'quake', 'version.ini'), '1\n')
    for (const command of ['scan', 'library']) {
      const result = await runCli([command, '--json', '--games', games])
      expect(result.exitCode).toBe(0)
      expect(warningsIn(result.stderr, path.join(games, 'catalog.json'))).toBe(1)
      expect(json<{games: {id: string; availability: string}[]}>(result).games).toEqual([expect.objectContaining({id: 'quake', availability: 'local_only'})])
    }
  })

  it('serve starts, says it once, and still says it once after the games folder changes', async () => {
    const games = await makeTempDir('lanspread-fresh-')
    const serve = await startServe(games)
    await fs.mkdir(path.join(games, 'quake'))
    await fs.writeFile(path.join(games, 'quake', 'version.ini'), '1\n')
    await serve.waitFor('the new game', (e) => e.event === 'library_changed' && JSON.stringify(e).includes('quake'))
    expect(warningsIn(serve.stderr(), path.join(games, 'catalog.json'))).toBe(1)
    expect(serve.events.map((e) => JSON.stringify(e)).join('\n')).not.toContain('no catalog')
    // The catalog written later is read: the game becomes transferable.
    await fs.writeFile(path.join(games, 'catalog.json'), JSON.stringify([{id: 'quake', name: 'Quake'}]))
    await serve.waitFor('quake ready', (e) => e.event === 'library_changed' && (e as {updated?: string[]}).updated?.includes('quake') === true)
    const shown = json<{games: {id: string; availability: string}[]}>(await runCli(['library', '--json', '--games', games]))
    expect(shown.games).toEqual([expect.objectContaining({id: 'quake', availability: 'ready'})])
  })

  it('an invalid catalog is still an error naming the file', async () => {
    const games = await makeTempDir('lanspread-fresh-')
    await fs.writeFile(path.join(games, 'catalog.json'), '{"id":')
    const result = await runCli(['serve', '--games', games, '--no-mdns', '--host', '127.0.0.1', '--port', '0'])
    expect(result.exitCode).toBe(8)
    expect(String(result.stderr)).toContain(`catalog ${path.join(games, 'catalog.json')} is invalid`)
  })
})

describe('a games folder that does not exist', () => {
  it.each([
    ['scan'],
    ['library'],
    ['recover'],
    ['install', 'quake'],
    ['uninstall', 'quake'],
    ['fetch', 'quake', '--no-mdns'],
    ['fetch', 'quake', '--no-mdns', '--peer', '127.0.0.1:9'],
    ['serve', '--no-mdns', '--host', '127.0.0.1', '--port', '0'],
  ])('%s: exit 3 naming the folder and how to point at one, and nothing is created', async (...args: string[]) => {
    const missing = path.join(await makeTempDir('lanspread-fresh-'), 'nowhere')
    const result = await runCli([...args, '--games', missing, '--json'])
    expect(result.exitCode, String(result.stderr)).toBe(3)
    // Every command, serve too, ends a --json failure with one error document on stdout.
    const error = json<{error: {code: string; message: string; hint: string}}>(result).error
    expect(error.code).toBe('not_found')
    expect(error.message).toContain(`games folder not found: ${missing}`)
    expect(error.hint).toMatch(/--games PATH or LANSPREAD_GAMES/)
    await expect(fs.access(missing)).rejects.toMatchObject({code: 'ENOENT'})
  })
})
