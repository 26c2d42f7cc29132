import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {Library} from '../../src/library/library.js'
import {makeTempLibrary, setMtime} from '../helpers/temp-library.js'

const CATALOG = [
  {id: 'alpha', name: 'Alpha'},
  {id: 'beta', name: 'Beta'},
]

async function twoGames() {
  const lib = await makeTempLibrary(CATALOG)
  await lib.writeGame('alpha', {'version.ini': '1.0\n', 'alpha.eti': 'aaaa', 'data/deep/file.bin': '12345'})
  await lib.writeGame('beta', {'version.ini': '2.0', 'beta.eti': 'bb'})
  return lib
}

describe('scanner', () => {
  it('builds summaries from the game folders and the catalog', async () => {
    const lib = await twoGames()
    await lib.writeGame('stray', {'x.eti': 'x'})
    const {games, report} = await (await Library.open(lib.paths)).refresh()
    expect(games.map((g) => [g.id, g.name, g.eti_version, g.size, g.downloaded, g.installed, g.availability])).toEqual([
      ['alpha', 'Alpha', '1.0', 4 + 4 + 5, true, false, 'ready'],
      ['beta', 'Beta', '2.0', 2 + 3, true, false, 'ready'],
      ['stray', 'stray', null, 1, false, false, 'local_only'],
    ])
    expect(report.rescanned).toEqual(['alpha', 'beta', 'stray'])
  })

  it('reports entries that are not game folders and skips its own state and catalog', async () => {
    const lib = await twoGames()
    await fs.writeFile(lib.file('notes.txt'), 'x')
    await fs.mkdir(lib.file('.hidden'))
    await fs.mkdir(lib.file('bad name'))
    await fs.symlink(lib.file('alpha'), lib.file('alias'))
    const {report, games} = await (await Library.open(lib.paths)).refresh()
    expect(report.ignored).toEqual(['.hidden', 'alias', 'bad name', 'notes.txt'])
    expect(games.map((g) => g.id)).toEqual(['alpha', 'beta'])
  })

  it('a warm scan recurses into no game', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    const cold = await library.refresh()
    // A change deep inside a game that the fingerprint does not cover: only a walk would see it.
    await fs.writeFile(lib.file('alpha', 'data', 'deep', 'file.bin'), 'a much longer content')
    const warm = await library.refresh()
    expect(warm.report).toMatchObject({scanned: 2, reused: 2, rescanned: []})
    expect(warm.games).toEqual(cold.games)
    const full = await library.refresh({full: true})
    expect(full.report.rescanned).toEqual(['alpha', 'beta'])
    expect(full.games.find((g) => g.id === 'alpha')!.size).not.toBe(cold.games.find((g) => g.id === 'alpha')!.size)
  })

  it('a warm scan from a fresh process reuses the index on disk', async () => {
    const lib = await twoGames()
    await (await Library.open(lib.paths)).refresh()
    const {report} = await (await Library.open(lib.paths)).refresh()
    expect(report).toMatchObject({reused: 2, rescanned: []})
  })

  it('rescans exactly the game whose .eti changed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('beta', 'beta.eti'), 'bbbbbb')
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['beta'])
    expect(games.find((g) => g.id === 'beta')!.size).toBe(6 + 3)
  })

  it('rescans exactly the game whose .eti was touched, added or removed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await setMtime(lib.file('alpha', 'alpha.eti'), 1_000_000)
    expect((await library.refresh()).report.rescanned).toEqual(['alpha'])
    await fs.writeFile(lib.file('beta', 'extra.eti'), 'e')
    expect((await library.refresh()).report.rescanned).toEqual(['beta'])
    await fs.rm(lib.file('beta', 'extra.eti'))
    expect((await library.refresh()).report.rescanned).toEqual(['beta'])
  })

  it('rescans exactly the game whose version.ini changed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('alpha', 'version.ini'), '1.1\n')
    await setMtime(lib.file('alpha', 'version.ini'), 2_000_000)
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['alpha'])
    expect(games.find((g) => g.id === 'alpha')!.eti_version).toBe('1.1')
  })

  it('notices local/ appearing and the sentinel disappearing', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.mkdir(lib.file('alpha', 'local'))
    await fs.rm(lib.file('beta', 'version.ini'))
    const {report, games} = await library.refresh()
    expect(report.rescanned).toEqual(['alpha', 'beta'])
    expect(games.map((g) => [g.id, g.installed, g.downloaded, g.availability])).toEqual([
      ['alpha', true, true, 'ready'],
      ['beta', false, false, 'local_only'],
    ])
  })

  it('drops games whose folder was removed', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.rm(lib.file('beta'), {recursive: true})
    const {games} = await library.refresh()
    expect(games.map((g) => g.id)).toEqual(['alpha'])
  })

  it('rescans only the named games with `only`', async () => {
    const lib = await twoGames()
    const library = await Library.open(lib.paths)
    await library.refresh()
    await fs.writeFile(lib.file('alpha', 'alpha.eti'), 'changed!')
    await fs.writeFile(lib.file('beta', 'beta.eti'), 'changed!')
    const {report, games} = await library.refresh({only: ['beta']})
    expect(report.rescanned).toEqual(['beta'])
    expect(games.find((g) => g.id === 'alpha')!.size).toBe(13)
  })

  it('reads only the first line-ish of a huge version.ini', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'version.ini': `  7.5  \n${'x'.repeat(100_000)}`})
    const {games} = await (await Library.open(lib.paths)).refresh()
    expect(games[0]!.eti_version!.startsWith('7.5')).toBe(true)
    expect(games[0]!.eti_version!.length).toBeLessThanOrEqual(4096)
  })

  it('fails with not_found naming a missing games folder', async () => {
    const lib = await makeTempLibrary()
    const library = await Library.open(lib.paths)
    await fs.rm(lib.gamesDir, {recursive: true})
    await expect(library.refresh()).rejects.toMatchObject({code: 'not_found', message: expect.stringContaining(lib.gamesDir)})
    // Nothing was created in its place.
    await expect(fs.access(lib.gamesDir)).rejects.toThrow()
  })
})
