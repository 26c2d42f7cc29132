// Errors that say what happened, through the built CLI: in words rather than errno codes,
// naming the path or game, with the exit code of the README's table.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
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
    expect(error.hint).toContain('`lanspread fetch doom` will do this once the peer runtime is in')
    expect(error.hint).not.toMatch(/\bID\b/)
  })
})
