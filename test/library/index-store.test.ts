import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library} from '../../src/library/library.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function scannedTwice() {
  const lib = await makeTempLibrary([{id: 'a', name: 'A'}])
  await lib.writeGame('a', {'version.ini': '1', 'a.eti': 'x'})
  await (await Library.open(lib.paths)).refresh()
  await fs.writeFile(lib.file('a', 'a.eti'), 'xx')
  await (await Library.open(lib.paths)).refresh() // library_rev 2
  return lib
}

describe('index.json', () => {
  it('is a versioned document holding library_rev and every game', async () => {
    const lib = await scannedTwice()
    const index = JSON.parse(await fs.readFile(lib.paths.indexPath, 'utf8'))
    expect(index).toMatchObject({version: 1, library_rev: 2})
    expect(Object.keys(index.games)).toEqual(['a'])
    expect(index.games.a.manifest.files.map((f: {path: string}) => f.path)).toEqual(['a.eti', 'version.ini'])
  })

  it.each([
    ['garbage', 'this is {not json'],
    ['a truncated document', '{"version":1,"library_rev":2,"games":{"a":'],
    ['a valid JSON of the wrong shape', '{"version":1,"library_rev":2,"games":[1,2,3]}'],
    ['an index from a future version', '{"version":99,"library_rev":2,"games":{}}'],
    ['an empty file', ''],
  ])('is rebuilt with a warning from %s, and library_rev still moves forward', async (_, content) => {
    const lib = await scannedTwice()
    await fs.writeFile(lib.paths.indexPath, content)
    const warnings: string[] = []
    const library = await Library.open(lib.paths, {logger: {warn: (m) => warnings.push(m)}})
    const result = await library.refresh()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(lib.paths.indexPath)
    expect(result.library_rev).toBe(3)
    expect(result.games.map((g) => g.id)).toEqual(['a'])
    // The broken file is kept for inspection, not lost.
    expect(await fs.readFile(`${lib.paths.indexPath}.corrupt`, 'utf8')).toBe(content)
  })

  it('keeps library_rev from going backwards when index.json is lost with its revision', async () => {
    const lib = await scannedTwice()
    await fs.writeFile(lib.paths.indexPath, '{"version":1,"library_rev":"oops"')
    const result = await (await Library.open(lib.paths, {logger: {warn: () => {}}})).refresh()
    expect(result.library_rev).toBeGreaterThan(2)
  })

  it('takes the revision file over an older index (a crash between the two writes)', async () => {
    const lib = await scannedTwice()
    await fs.writeFile(lib.paths.libraryRevPath, JSON.stringify({library_rev: 10}))
    const library = await Library.open(lib.paths)
    expect(library.libraryRev).toBe(10)
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxx')
    expect((await library.refresh()).library_rev).toBe(11)
  })

  it('picks up an index another process saved meanwhile', async () => {
    const lib = await scannedTwice()
    const first = await Library.open(lib.paths)
    const second = await Library.open(lib.paths)
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxxx')
    expect((await second.refresh()).library_rev).toBe(3)
    // `first` still holds rev 2 in memory; it must build on rev 3, not write rev 3 again.
    await fs.writeFile(lib.file('a', 'a.eti'), 'xxxxx')
    expect((await first.refresh()).library_rev).toBe(4)
  })
})
