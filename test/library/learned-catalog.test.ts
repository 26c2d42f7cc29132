import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {LEARNED_NAME_MAX, learnedEntry} from '../../src/library/learned-catalog.js'
import {Library} from '../../src/library/library.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function downloadedGame(catalog: {id: string; name: string}[]) {
  const lib = await makeTempLibrary(catalog)
  await lib.writeGame('quake', {'version.ini': '1\n', 'pak0.eti': 'x'})
  const warnings: string[] = []
  const library = await Library.open(lib.paths, {logger: {warn: (m) => warnings.push(m)}})
  await library.refresh()
  return {lib, library, warnings, learnedFile: path.join(lib.paths.stateDir, 'learned-catalog.json')}
}

describe('learned catalog', () => {
  it('makes a fetched game ready under the learned name, kept in the state folder only', async () => {
    const {lib, library, learnedFile} = await downloadedGame([])
    expect(library.summary('quake')?.availability).toBe('local_only')
    await library.learn({id: 'quake', name: 'Quake'})
    const after = await library.refresh()
    expect(after.games).toEqual([expect.objectContaining({id: 'quake', name: 'Quake', availability: 'ready'})])
    expect(after.delta?.updated.map((g) => g.id)).toEqual(['quake'])
    expect(JSON.parse(await fs.readFile(learnedFile, 'utf8'))).toEqual([{id: 'quake', name: 'Quake'}])
    expect(JSON.parse(await fs.readFile(lib.paths.catalogPath, 'utf8'))).toEqual([])
    // Another process opening the folder sees it too.
    expect((await (await Library.open(lib.paths)).refresh()).games[0]).toMatchObject({name: 'Quake', availability: 'ready'})
  })

  it("keeps the user's entry over a learned one", async () => {
    const {library} = await downloadedGame([{id: 'quake', name: 'My Quake'}])
    await library.learn({id: 'quake', name: 'Their Quake'})
    expect((await library.refresh()).games[0]).toMatchObject({name: 'My Quake', availability: 'ready'})
  })

  it('writes nothing when the same entry is learned again, and replaces a renamed one', async () => {
    const {library, learnedFile} = await downloadedGame([])
    await library.learn({id: 'quake', name: 'Quake'})
    const before = await fs.stat(learnedFile)
    await library.learn({id: 'quake', name: 'Quake'})
    expect((await fs.stat(learnedFile)).ino).toBe(before.ino)
    await library.learn({id: 'quake', name: 'Quake 1.1'})
    expect(JSON.parse(await fs.readFile(learnedFile, 'utf8'))).toEqual([{id: 'quake', name: 'Quake 1.1'}])
  })

  it('bounds what a peer names a game, and falls back to the ID', () => {
    expect(learnedEntry('quake', 'q'.repeat(10_000)).name).toHaveLength(LEARNED_NAME_MAX)
    expect(learnedEntry('quake', '  ')).toEqual({id: 'quake', name: 'quake'})
    expect(learnedEntry('quake', undefined)).toEqual({id: 'quake', name: 'quake'})
  })

  it('takes a broken learned file for none, with a warning naming it', async () => {
    const {lib, learnedFile} = await downloadedGame([])
    await fs.writeFile(learnedFile, '{"broken":')
    const warnings: string[] = []
    await Library.open(lib.paths, {logger: {warn: (m) => warnings.push(m)}})
    expect(warnings).toEqual([expect.stringContaining(`${learnedFile} is invalid`)])
  })
})
