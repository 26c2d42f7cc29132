import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {gamePaths} from '../../src/library/layout.js'
import {isDownloaded, isInstalled} from '../../src/library/predicates.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

describe('downloaded predicate', () => {
  it('is true for a regular version.ini', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'version.ini': '1.0'})
    expect(await isDownloaded(gamePaths(lib.gamesDir, 'g'))).toBe(true)
  })

  it('is false without version.ini', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'a.eti': 'x'})
    expect(await isDownloaded(gamePaths(lib.gamesDir, 'g'))).toBe(false)
  })

  it('is false when version.ini is a folder', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'version.ini/inner': 'x'})
    expect(await isDownloaded(gamePaths(lib.gamesDir, 'g'))).toBe(false)
  })

  it('is false when version.ini is a symbolic link, even to a regular file', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', {'real.ini': '1.0'})
    await fs.symlink(path.join(root, 'real.ini'), path.join(root, 'version.ini'))
    expect(await isDownloaded(gamePaths(lib.gamesDir, 'g'))).toBe(false)
  })
})

describe('installed predicate', () => {
  it('is true when local/ is a folder', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'local/save.dat': 'x'})
    expect(await isInstalled(gamePaths(lib.gamesDir, 'g'))).toBe(true)
  })

  it('is false when local is a file', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {local: 'not a folder'})
    expect(await isInstalled(gamePaths(lib.gamesDir, 'g'))).toBe(false)
  })

  it('is false when local is a symbolic link to a folder', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', {'elsewhere/x': 'x'})
    await fs.symlink(path.join(root, 'elsewhere'), path.join(root, 'local'))
    expect(await isInstalled(gamePaths(lib.gamesDir, 'g'))).toBe(false)
  })

  it('is independent of downloaded', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'local/x': 'x'})
    const game = gamePaths(lib.gamesDir, 'g')
    expect([await isDownloaded(game), await isInstalled(game)]).toEqual([false, true])
  })
})
