// Errors that say what happened, through the built CLI: in words rather than errno codes,
// naming the path or game, with the exit code of the README's table.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {execa} from 'execa'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'

type ErrorDoc = {error: {code: string; message: string; hint: string}}

async function library() {
  const lib = await makeTempLibrary([{id: 'quake3', name: 'Quake III Arena'}])
  await lib.writeGame('quake3', {'version.ini': '1.32\n'})
  return lib
}

describe('error words', () => {
  it('--games naming a file says it is a file, not a folder (exit 3)', async () => {
    const dir = await makeTempDir()
    await fs.writeFile(path.join(dir, 'games'), 'not a folder')
    const result = await runCli(['scan', '--json', '--games', path.join(dir, 'games')])
    expect(result.exitCode).toBe(3)
    expect(json<ErrorDoc>(result).error).toMatchObject({code: 'not_found', message: `games folder ${path.join(dir, 'games')} is a file, not a folder`})
  })

  it('accepts a games folder that is a symbolic link to a folder', async () => {
    const lib = await library()
    const link = `${lib.gamesDir}-link`
    await fs.symlink(lib.gamesDir, link)
    try {
      const result = await runCli(['library', '--json', '--games', link])
      expect(result.exitCode).toBe(0)
      expect(json(result)).toMatchObject({games: [{id: 'quake3', name: 'Quake III Arena'}]})
    } finally {
      await fs.rm(link, {force: true})
    }
  })

  it('a catalog path that is a folder says so (exit 8)', async () => {
    const lib = await library()
    await fs.rm(lib.paths.catalogPath)
    await fs.mkdir(lib.paths.catalogPath)
    const result = await runCli(['scan', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(8)
    expect(String(result.stderr)).toContain(`catalog ${lib.paths.catalogPath} is a folder, not a catalog file`)
    expect(String(result.stderr)).not.toContain('EISDIR')
  })

  it('a state folder under a file says "not a folder" in words, the code only in parentheses (exit 11)', async () => {
    const lib = await library()
    const file = lib.file('a-file')
    await fs.writeFile(file, 'x')
    const result = await runCli(['scan', '--json', '--games', lib.gamesDir, '--state-dir', path.join(file, 'state')])
    expect(result.exitCode).toBe(11)
    const {error} = json<ErrorDoc>(result)
    expect(error.code).toBe('io')
    expect(error.message).toMatch(/: a part of the path is not a folder \(ENOTDIR\)$/)
    expect(error.message).not.toMatch(/ENOTDIR:/)
    expect(error.hint).toMatch(/a file stands where a folder is expected/)
  })

  it('an install of a game that is not downloaded names the game in its hint, and no command that does not exist', async () => {
    const lib = await makeTempLibrary([{id: 'doom', name: 'Doom'}])
    await lib.writeGame('doom', {'doom.eti': 'x'})
    const result = await runCli(['install', 'doom', '--json', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(4)
    const {error} = json<ErrorDoc>(result)
    expect(error.hint).toContain('doom/')
    expect(error.hint).toContain('run `lanspread fetch doom`')
    expect(error.hint).not.toContain('once the peer runtime is in')
    expect(error.hint).not.toMatch(/\bID\b/)
  })

  it('library advises fetch, not recover, for a game whose download was interrupted', async () => {
    const lib = await makeTempLibrary([{id: 'doom', name: 'Doom'}])
    await lib.writeGame('doom', {'doom.eti': 'partial', '.version.ini.tmp': '1.9\n'})
    const result = await runCli(['library', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(0)
    expect(String(result.stderr)).toContain('game doom holds an interrupted download: run `lanspread fetch doom` to resume it')
    expect(String(result.stderr)).not.toContain('lanspread recover doom')
  })

  it('a bad flag names the command in its hint, not COMMAND', async () => {
    const result = await runCli(['fetch', 'quake3', '--bogus', '--json'])
    expect(result.exitCode).toBe(2)
    expect(json<ErrorDoc>(result).error.hint).toBe('see `lanspread fetch --help` for the flags and arguments')
  })

  it('an interrupted one-shot fetch says it was looking for peers, and that its chunks are kept for resume', async () => {
    const lib = await makeTempLibrary([{id: 'quake3', name: 'Quake III Arena'}])
    const fetch = execa('node', [CLI, 'fetch', 'quake3', '--peer', '127.0.0.1:9', '--no-mdns', '--wait-peers', '30', '--games', lib.gamesDir], {
      cwd: REPO_ROOT,
      env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    })
    let stderr = ''
    fetch.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
    for (let i = 0; i < 400 && !stderr.includes('looking for peers'); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(stderr).toContain('lanspread serve is not running: looking for peers (127.0.0.1:9) for up to 30 s')
    fetch.kill('SIGINT')
    const result = await fetch
    expect(result.exitCode).toBe(130)
    expect(stderr).toContain('Interrupted: the fetch of quake3 stopped; the chunks already on disk are kept: `lanspread fetch quake3` resumes from them')
    expect(stderr).not.toContain('half-written')
  })
})
