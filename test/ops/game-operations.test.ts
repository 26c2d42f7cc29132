import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {Library} from '../../src/library/library.js'
import {GameOperations, type OperationEvent} from '../../src/ops/game-operations.js'
import {writeTarArchive} from '../helpers/archives.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function setup() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1'})
  await writeTarArchive(path.join(root, 'g.eti'), {'game.bin': 'x'.repeat(100_000)}, {gzip: true})
  const operations = new GameOperations(lib.paths)
  const library = await Library.open(lib.paths, {operations})
  operations.attachLibrary(library)
  await library.refresh()
  return {lib, root, operations, library}
}

describe('GameOperations', () => {
  it('reports the running operation to the library and emits events a runtime can follow', async () => {
    const {operations, library} = await setup()
    const seen: string[] = []
    operations.on('started', ({id, kind}: OperationEvent) => {
      seen.push(`started ${kind} ${id} (${operations.activeOperation(id)})`)
    })
    operations.on('finished', ({id, kind}) => seen.push(`finished ${kind} ${id}`))
    const availability: string[] = []
    library.on('changed', (delta) => availability.push(...delta.updated.map((g) => `${g.availability}${g.installed ? ' installed' : ''}`)))
    await operations.install('g')
    expect(seen).toEqual(['started install g (install)', 'finished install g'])
    expect(operations.activeOperation('g')).toBeUndefined()
    // The game is rescanned when the operation ends: installed, and transferable again.
    expect(library.summary('g')).toMatchObject({installed: true, availability: 'ready'})
    expect(availability).toEqual(['ready installed'])
  })

  it('refuses a second operation on the same game in the same process at once', async () => {
    const {operations} = await setup()
    const first = operations.install('g')
    try {
      await expect(operations.uninstall('g')).rejects.toMatchObject({code: 'busy', message: 'game g is busy: install is running'})
    } finally {
      await first
    }
  })

  it('emits failed with the error, and leaves the game as it was', async () => {
    const {operations, root} = await setup()
    await fs.writeFile(path.join(root, 'g.eti'), 'garbage')
    const failures: unknown[] = []
    operations.on('failed', ({error}) => failures.push(error))
    await expect(operations.install('g')).rejects.toMatchObject({code: 'archive_corrupt'})
    expect(failures).toEqual([expect.objectContaining({code: 'archive_corrupt'})])
    expect((await fs.readdir(root)).sort()).toEqual(['.lanspread.json', 'g.eti', 'version.ini'])
  })

  it('recovers an interrupted operation before starting a new one, and says so', async () => {
    const {operations, lib} = await setup()
    await lib.writeGame('g', {'.lanspread.json': '{"intent":"Installing"}', '.local.installing/partial': 'x'})
    const result = await operations.install('g')
    expect(result).toMatchObject({action: 'installed', recovered: {action: 'rolled_back'}})
  })

  it("refuses to work around a reserved folder that is the user's", async () => {
    const {operations, lib} = await setup()
    await lib.writeGame('g', {'.local.installing/my-notes.txt': 'mine'})
    await expect(operations.install('g')).rejects.toMatchObject({code: 'invalid_input', message: expect.stringContaining('.local.installing')})
    expect(await fs.readFile(lib.file('g', '.local.installing', 'my-notes.txt'), 'utf8')).toBe('mine')
  })

  it('keeps its marker a regular file even when an archive carries an entry of that name', async () => {
    const {operations, root} = await setup()
    await writeTarArchive(path.join(root, 'g.eti'), {'.lanspread_owned': 'from the archive', 'game.bin': 'x'})
    await operations.install('g')
    const marker = await fs.lstat(path.join(root, 'local', '.lanspread_owned'))
    expect(marker.isFile()).toBe(true)
    expect(await fs.readFile(path.join(root, 'local', '.lanspread_owned'), 'utf8')).toContain('created by lanspread')
  })

  it('names an unknown game and an invalid ID', async () => {
    const {operations} = await setup()
    await expect(operations.install('nope')).rejects.toMatchObject({code: 'not_found', message: expect.stringContaining('nope')})
    await expect(operations.install('../etc')).rejects.toMatchObject({code: 'usage'})
    await expect(operations.recover(['nope'])).rejects.toMatchObject({code: 'not_found'})
  })
})

describe('GameOperations.download', () => {
  const TARGET = {manifest_hash: 'a'.repeat(64), content_hash: 'b'.repeat(64)}

  it("creates a new game's folder, shows it downloading while the work runs, and rescans it after", async () => {
    const lib = await makeTempLibrary([{id: 'new', name: 'New'}])
    const operations = new GameOperations(lib.paths)
    const library = await Library.open(lib.paths, {operations})
    operations.attachLibrary(library)
    const seen: unknown[] = []
    const result = await operations.download('new', TARGET, async (game) => {
      seen.push(operations.activeOperation('new'), library.summary('new')?.availability)
      await expect(operations.uninstall('new')).rejects.toMatchObject({code: 'busy', message: 'game new is busy: download is running'})
      await fs.writeFile(game.sentinel, '1\n')
      return {done: true}
    })
    expect(seen).toEqual(['download', 'downloading'])
    expect(result).toEqual({done: true})
    expect(library.summary('new')).toMatchObject({availability: 'ready', downloaded: true, eti_version: '1'})
  })

  it('refuses a games folder that does not exist, and an invalid ID', async () => {
    const lib = await makeTempLibrary()
    const operations = new GameOperations({...lib.paths, gamesDir: path.join(lib.gamesDir, 'missing')})
    await expect(operations.download('g', TARGET, async () => ({}))).rejects.toMatchObject({code: 'not_found'})
    await expect(new GameOperations(lib.paths).download('../x', TARGET, async () => ({}))).rejects.toMatchObject({code: 'usage'})
  })
})
