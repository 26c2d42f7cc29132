import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library} from '../../src/library/library.js'
import {stampTree} from '../helpers/stamps.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function threeGames() {
  const lib = await makeTempLibrary([
    {id: 'a', name: 'A'},
    {id: 'b', name: 'B'},
    {id: 'c', name: 'C'},
  ])
  for (const id of ['a', 'b', 'c']) await lib.writeGame(id, {'version.ini': '1', [`${id}.eti`]: id, 'data/x.bin': 'xyz'})
  const library = await Library.open(lib.paths)
  await library.refresh()
  return {lib, library}
}

/** The entries whose stamp differs between two snapshots (added, removed or rewritten). */
function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  return [...keys].filter((key) => before[key] !== after[key]).sort()
}

describe('games/<id>.json', () => {
  it('holds each game manifest and content hashes, one file per game', async () => {
    const {lib} = await threeGames()
    expect((await fs.readdir(lib.paths.gameFilesDir)).sort()).toEqual(['a.json', 'b.json', 'c.json'])
  })

  it('a read of a game whose hashes are cached writes nothing at all in the state folder', async () => {
    const {lib, library} = await threeGames()
    await library.content('b') // hashes computed and saved once
    const before = await stampTree(lib.paths.stateDir)
    expect((await library.content('b')).hashed).toEqual([])
    expect((await (await Library.open(lib.paths)).content('b')).hashed).toEqual([])
    expect(changed(before, await stampTree(lib.paths.stateDir))).toEqual([])
  })

  it('a no-op scan writes nothing, warm or full, in the same process or a new one', async () => {
    const {lib, library} = await threeGames()
    const before = await stampTree(lib.paths.stateDir)
    await library.refresh()
    await library.refresh({full: true})
    await (await Library.open(lib.paths)).refresh()
    expect(changed(before, await stampTree(lib.paths.stateDir))).toEqual([])
  })

  it('hashing one game writes that game file only', async () => {
    const {lib, library} = await threeGames()
    const before = await stampTree(lib.paths.stateDir)
    expect((await library.content('b')).hashed).toHaveLength(3)
    // games/ itself changes (the rename into it), and locks/ (the lock came and went).
    expect(changed(before, await stampTree(lib.paths.stateDir))).toEqual(['games', 'games/b.json', 'locks'])
  })

  it('a change to one game rewrites that game file and appends to the journal, not the other games or index.json', async () => {
    const {lib, library} = await threeGames()
    const before = await stampTree(lib.paths.stateDir)
    await fs.writeFile(lib.file('c', 'c.eti'), 'longer')
    await library.refresh()
    // '.': the journal is created (the first record after a checkpoint).
    expect(changed(before, await stampTree(lib.paths.stateDir))).toEqual(['.', 'games', 'games/c.json', 'index.log', 'library-rev.json', 'locks'])
  })

  it('keeps the stored hashes of a game rescanned for a change that leaves its files alone', async () => {
    const {lib, library} = await threeGames()
    await library.content('a')
    await fs.mkdir(lib.file('a', 'local')) // fingerprint changes, payload does not
    const before = await stampTree(lib.paths.gameFilesDir)
    const {report} = await library.refresh()
    expect(report.rescanned).toEqual(['a'])
    expect(changed(before, await stampTree(lib.paths.gameFilesDir))).toEqual([])
    expect((await library.content('a')).hashed).toEqual([])
  })

  it('is deleted with its game', async () => {
    const {lib, library} = await threeGames()
    await fs.rm(lib.file('b'), {recursive: true})
    await library.refresh()
    expect((await fs.readdir(lib.paths.gameFilesDir)).sort()).toEqual(['a.json', 'c.json'])
  })

  it('is rebuilt when broken, by walking that game again', async () => {
    const {lib, library} = await threeGames()
    await fs.writeFile(`${lib.paths.gameFilesDir}/a.json`, '{nope')
    const content = await library.content('a')
    expect(content.manifest.files.map((f) => f.path)).toEqual(['a.eti', 'data/x.bin', 'version.ini'])
    expect(JSON.parse(await fs.readFile(`${lib.paths.gameFilesDir}/a.json`, 'utf8')).manifest.files).toHaveLength(3)
  })
})
