import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {downloadGame} from '../../src/download/downloader.js'
import {isLanspreadError} from '../../src/errors.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024

async function setup(id: string) {
  const lib = await makeTempLibrary([{id, name: 'G'}])
  const operations = new GameOperations(lib.paths)
  const library = await Library.open(lib.paths, {operations})
  operations.attachLibrary(library)
  return {lib, operations}
}

const exists = (file: string) =>
  fs.lstat(file).then(
    () => true,
    () => false,
  )

describe('a manifest this platform cannot hold (record 0035)', () => {
  it('is refused on win32 before the game folder is made or a chunk is asked for', async () => {
    const {lib, operations} = await setup('g')
    const source = new FakeSource('p1', fakeGame('g', {'version.ini': '1\n', 'maps/CON.bsp': 'x', 'a.eti': 'y'}, CHUNK))
    const failure = await downloadGame({id: 'g', candidates: [source.candidate()]}, {operations, platform: 'win32'}).catch((error: unknown) => error)
    expect(isLanspreadError(failure, 'invalid_input')).toBe(true)
    expect(failure).toHaveProperty(
      'message',
      expect.stringMatching(/game g cannot be downloaded here: its file maps\/CON.bsp has the name "CON.bsp".*device name CON/),
    )
    expect(source.requests).toHaveLength(0)
    expect(await exists(lib.file('g'))).toBe(false)
  })

  it('is refused on win32 when a path would be too long under the game folder', async () => {
    const {operations} = await setup('g')
    const long = `${'d'.repeat(100)}/${'e'.repeat(100)}/${'f'.repeat(60)}.pak`
    const source = new FakeSource('p1', fakeGame('g', {'version.ini': '1\n', [long]: 'x'}, CHUNK))
    await expect(downloadGame({id: 'g', candidates: [source.candidate()]}, {operations, platform: 'win32'})).rejects.toThrow(
      /past the 259 a Windows program can open/,
    )
  })

  it('is refused on win32 when two files differ only in case', async () => {
    const {operations} = await setup('g')
    const source = new FakeSource('p1', fakeGame('g', {'version.ini': '1\n', 'Readme.txt': 'a', 'README.txt': 'b'}, CHUNK))
    await expect(downloadGame({id: 'g', candidates: [source.candidate()]}, {operations, platform: 'win32'})).rejects.toThrow(/only in upper and lower case/)
  })

  it('is refused on win32 for a game ID that is a device name', async () => {
    const {operations} = await setup('aux')
    const source = new FakeSource('p1', fakeGame('aux', {'version.ini': '1\n'}, CHUNK))
    await expect(downloadGame({id: 'aux', candidates: [source.candidate()]}, {operations, platform: 'win32'})).rejects.toThrow(
      /game aux cannot be downloaded here: aux is a game ID that is the Windows device name AUX/,
    )
  })

  it('downloads on linux, so a Linux peer still shares such names with another', async () => {
    const {lib, operations} = await setup('g')
    const source = new FakeSource('p1', fakeGame('g', {'version.ini': '1\n', 'maps/CON.bsp': 'x', 'a?.txt': 'q'}, CHUNK))
    await downloadGame({id: 'g', candidates: [source.candidate()]}, {operations, platform: 'linux'})
    expect(await fs.readFile(lib.file('g', 'maps/CON.bsp'), 'utf8')).toBe('x')
  })
})
