// Archives whose names a Windows folder cannot hold (record 0035), tested here with the win32
// rules injected: refused naming the entry, before any entry is written (zip) or staging left behind (tar).
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive, PlatformPaths} from '../../../src/ops/extract/index.js'
import {GameOperations} from '../../../src/ops/game-operations.js'
import {makeTempLibrary} from '../../helpers/temp-library.js'
import {rawTar} from './helpers/raw-tar.js'
import {rawZip} from './helpers/raw-zip.js'
import {createWorkspace, expectCode, listTree, removeAll} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

const WIN_ROOT = 'C:\\games\\quake3\\local'
const windows = (root = WIN_ROOT) => new PlatformPaths('win32', root)

describe('zip entries Windows cannot hold', () => {
  const refusedCases: [string, string[], RegExp][] = [
    ['a device name with an extension', ['data/ok.txt', 'maps/con.bsp'], /"maps\/con.bsp" has the name "con.bsp".*device name CON/],
    ['a trailing dot', ['data/ok.txt', 'save.'], /ends with a dot or a space/],
    ['a forbidden character', ['data/ok.txt', 'what?.txt'], /"\?"/],
    ['two spellings of one file', ['Readme.txt', 'README.TXT'], /differs from "Readme.txt" only in upper and lower case/],
  ]
  for (const [what, names, reason] of refusedCases) {
    it(`refuses ${what} before writing any entry`, async () => {
      const ws = await createWorkspace(created)
      const archive = await ws.file('g.eti', rawZip(names.map((name) => ({name, data: 'x'}))))
      const error = await expectCode(extractArchive(archive, ws.dest, {names: windows()}), 'archive_corrupt')
      expect(error.message).toContain(archive)
      expect(error.message).toMatch(reason)
      expect(error.message).toContain('this computer cannot install it')
      expect(error.hint).toMatch(/rename that file/)
      expect(await listTree(ws.dest)).toEqual([])
    })
  }

  it('refuses a path too long under the install folder, and says to move the games folder', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'g.eti',
      rawZip([
        {name: 'ok.txt', data: 'x'},
        {name: `${'d'.repeat(120)}/${'f'.repeat(120)}.pak`, data: 'y'},
      ]),
    )
    const error = await expectCode(extractArchive(archive, ws.dest, {names: windows()}), 'archive_corrupt')
    expect(error.message).toMatch(/characters long under C:\\games\\quake3\\local, past the 259/)
    expect(error.hint).toMatch(/closer to the drive root/)
    expect(await listTree(ws.dest)).toEqual([])
  })

  it('extracts the same archive on linux', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'g.eti',
      rawZip([
        {name: 'maps/con.bsp', data: 'x'},
        {name: 'Readme.txt', data: 'a'},
        {name: 'README.TXT', data: 'b'},
      ]),
    )
    await extractArchive(archive, ws.dest, {names: new PlatformPaths('linux', '/games/quake3/local')})
    expect(await listTree(ws.dest)).toEqual(['README.TXT', 'Readme.txt', 'maps', 'maps/con.bsp'])
  })

  it('maps backslashes in zip entries to folders, on every platform', async () => {
    for (const platform of ['linux', 'win32']) {
      const ws = await createWorkspace(created)
      const archive = await ws.file('g.eti', rawZip([{name: 'maps\\q3dm1.bsp', data: 'map'}]))
      await extractArchive(archive, ws.dest, {names: new PlatformPaths(platform, WIN_ROOT)})
      expect(await listTree(ws.dest)).toEqual(['maps', 'maps/q3dm1.bsp'])
    }
  })

  it('still refuses a backslash path that climbs out', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('g.eti', rawZip([{name: '..\\evil.txt', data: 'x'}]))
    await expectCode(extractArchive(archive, ws.dest, {names: windows()}), 'archive_unsafe')
  })
})

describe('tar entries Windows cannot hold', () => {
  it('refuses the entry before tar writes it, naming it', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'g.eti',
      rawTar([
        {name: 'ok.txt', data: 'x'},
        {name: 'LPT1.log', data: 'y'},
        {name: 'after.txt', data: 'z'},
      ]),
    )
    const error = await expectCode(extractArchive(archive, ws.dest, {names: windows()}), 'archive_corrupt')
    expect(error.message).toMatch(/entry "LPT1.log" has the name "LPT1.log".*device name LPT1/)
    expect(await listTree(ws.dest)).not.toContain('LPT1.log')
    expect(await listTree(ws.dest)).not.toContain('after.txt')
  })

  it('refuses a backslash, which a tar name holds as a plain character', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('g.eti', rawTar([{name: 'a\\b.txt', data: 'x'}]))
    const error = await expectCode(extractArchive(archive, ws.dest, {names: windows()}), 'archive_corrupt')
    expect(error.message).toMatch(/backslash/)
  })

  it('compares the entries of every archive of one install', async () => {
    const ws = await createWorkspace(created)
    const names = windows()
    await extractArchive(await ws.file('a.eti', rawTar([{name: 'Data/base.pak', data: 'x'}])), ws.dest, {names})
    const second = await ws.file('b.eti', rawTar([{name: 'data/extra.pak', data: 'y'}]))
    const error = await expectCode(extractArchive(second, ws.dest, {names}), 'archive_corrupt')
    expect(error.message).toMatch(/differs from "Data" only in upper and lower case/)
  })

  it('leaves no local/ and no staging behind when install refuses on win32', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const root = await lib.writeGame('g', {
      'version.ini': '1',
      'g.eti': rawTar([
        {name: 'ok.txt', data: 'x'},
        {name: 'aux.dat', data: 'y'},
      ]),
    })
    const operations = new GameOperations(lib.paths)
    await expect(operations.install('g', {platform: 'win32'})).rejects.toThrow(/entry "aux.dat".*device name AUX/)
    const left = await fs.readdir(root)
    expect(left).not.toContain('local')
    expect(left).not.toContain('.local.installing')
    await operations.install('g', {platform: 'linux'})
    expect(await fs.readFile(path.join(root, 'local', 'aux.dat'), 'utf8')).toBe('y')
  })
})
