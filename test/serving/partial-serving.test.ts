import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {downloadGame} from '../../src/download/downloader.js'
import type {DownloadView} from '../../src/download/verified-chunks.js'
import {blake3} from '../../src/library/blake3.js'
import {Library} from '../../src/library/library.js'
import type {ActiveOperation, DownloadTarget, GameSummary} from '../../src/library/summary.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import type {GameManifest, GetChunk} from '../../src/protocol/messages.js'
import {ChunkPermits} from '../../src/serving/chunk-permits.js'
import {GameServer} from '../../src/serving/game-server.js'
import {type PartialGame, servablePartial} from '../../src/serving/partial-games.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'
import {lanspreadRejection as refusal} from '../helpers/rejection.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) out[i] = (i * 11 + seed * 5 + (i >> 9)) & 0xff
  return out
}

const A = pattern(3 * CHUNK + 100, 1)
const FILES = {'version.ini': '2\n', 'a.eti': A, 'data/b.bin': pattern(CHUNK, 2)}

/** A game half downloaded here: the target's files at full size, only the verified chunks holding their bytes. */
async function setup(options: {catalog?: string[]; verified?: string[]; active?: ActiveOperation; permits?: ChunkPermits; partial?: boolean} = {}) {
  const lib = await makeTempLibrary((options.catalog ?? ['g']).map((id) => ({id, name: id})))
  const game = fakeGame('g', FILES, CHUNK)
  const verified = new Set(options.verified ?? ['a.eti@0', `a.eti@${3 * CHUNK}`, 'version.ini@0'])
  const onDisk = (file: string) => (file === 'version.ini' ? '.version.ini.tmp' : file)
  const root = lib.file('g')
  for (const entry of game.manifest.files) {
    const bytes = Buffer.alloc(entry.size)
    for (let offset = 0; offset < entry.size; offset += CHUNK) {
      if (verified.has(`${entry.path}@${offset}`)) Buffer.from(game.read(entry.path, offset, Math.min(CHUNK, entry.size - offset))).copy(bytes, offset)
    }
    await fs.mkdir(path.dirname(path.join(root, onDisk(entry.path))), {recursive: true})
    await fs.writeFile(path.join(root, onDisk(entry.path)), bytes)
  }
  const target: DownloadTarget = {manifest_hash: game.manifest.manifest_hash, content_hash: game.manifest.content_hash}
  const state = {active: options.active ?? ('download' as ActiveOperation | undefined)}
  const operations = {activeOperation: () => state.active, downloadTarget: () => target}
  const library = await Library.open(lib.paths, {operations})
  await library.refresh()
  const partial: PartialGame = {manifest: game.manifest, hasChunk: (file, offset) => verified.has(`${file}@${offset}`), diskPath: onDisk}
  const partials = new Map<string, PartialGame>(options.partial === false ? [] : [['g', partial]])
  const server = new GameServer(
    {permitWaitMs: 100, permitHoldMs: 5000},
    {library, operations, partials: {get: (id) => partials.get(id)}, ...(options.permits ? {permits: options.permits} : {})},
  )
  return {lib, game, root, library, server, verified, partials, state}
}

function chunk(manifest: GameManifest, overrides: Partial<GetChunk> = {}): GetChunk {
  return {type: 'GetChunk', id: 'g', manifest_hash: manifest.manifest_hash, path: 'a.eti', offset: 0, length: CHUNK, ...overrides}
}

describe('serving a game being downloaded (SPEC §5.1)', () => {
  it("answers GetGame with the download's manifest, NotModified for its content_hash", async () => {
    const {server, game, library} = await setup()
    // The scan sees the download's own scratch (.version.ini.tmp) as a mark: served all the same (record 0031).
    expect(library.summary('g')).toMatchObject({availability: 'downloading', manifest_hash: game.manifest.manifest_hash, needs_recovery: true})
    expect(await server.getGame({type: 'GetGame', id: 'g'})).toEqual(game.manifest)
    expect(await server.getGame({type: 'GetGame', id: 'g', content_hash: game.manifest.content_hash})).toEqual({type: 'NotModified'})
    expect(await server.getGame({type: 'GetGame', id: 'g', content_hash: 'e'.repeat(64)})).toEqual(game.manifest)
  })

  it('serves a verified chunk with its manifest hash, the tail chunk too, and gives the permit back', async () => {
    const {server, game} = await setup()
    const first = await server.getChunk(chunk(game.manifest), 'peer')
    expect(Buffer.from(first.raw!)).toEqual(A.subarray(0, CHUNK))
    expect(first.reply).toEqual({type: 'ChunkHeader', hash: game.manifest.files[0]!.chunks[0], length: CHUNK})
    first.release?.()
    const tail = await server.getChunk(chunk(game.manifest, {offset: 3 * CHUNK, length: 100}), 'peer', {framed: true})
    expect(Buffer.from(tail.raw!)).toEqual(A.subarray(3 * CHUNK))
    expect(blake3(Buffer.from(tail.raw!)).toString('hex')).toBe(game.manifest.files[0]!.chunks[3])
    tail.release?.()
    expect(server.permitsInUse()).toBe(0)
  })

  it('serves version.ini from the scratch file the download writes it to', async () => {
    const {server, game} = await setup()
    const reply = await server.getChunk(chunk(game.manifest, {path: 'version.ini', length: 2}), 'peer')
    expect(Buffer.from(reply.raw!).toString()).toBe('2\n')
    reply.release?.()
    // The scratch name itself is no path of the manifest, and reserved.
    expect((await refusal(server.getChunk(chunk(game.manifest, {path: '.version.ini.tmp', length: 2}), 'peer'))).code).toBe('invalid_input')
  })

  it('answers busy for a chunk not verified yet (not "bad"), and serves it once it is', async () => {
    const {server, game, verified, root} = await setup()
    const ask = chunk(game.manifest, {offset: CHUNK})
    expect(await refusal(server.getChunk(ask, 'peer'))).toMatchObject({code: 'busy', message: expect.stringContaining('not verified here yet')})
    expect((await refusal(server.getChunk(chunk(game.manifest, {path: 'data/b.bin'}), 'peer'))).code).toBe('busy')
    expect(server.permitsInUse()).toBe(0)
    // The download writes it, then marks it verified.
    const handle = await fs.open(path.join(root, 'a.eti'), 'r+')
    await handle.write(A, CHUNK, CHUNK, CHUNK)
    await handle.close()
    verified.add(`a.eti@${CHUNK}`)
    const reply = await server.getChunk(ask, 'peer')
    expect(Buffer.from(reply.raw!)).toEqual(A.subarray(CHUNK, 2 * CHUNK))
    reply.release?.()
  })

  it('refuses a stale manifest_hash as for a complete game', async () => {
    const {server, game} = await setup()
    expect(await refusal(server.getChunk(chunk(game.manifest, {manifest_hash: 'c'.repeat(64)}), 'peer'))).toMatchObject({
      code: 'not_downloaded',
      message: expect.stringContaining('stale'),
    })
  })

  it('refuses hostile requests as for a complete game: paths outside the manifest, offsets outside, wrong lengths', async () => {
    const {server, game} = await setup()
    const cases: Partial<GetChunk>[] = [
      {path: 'nothere.eti'},
      {path: 'local/save.dat'},
      {path: '.lanspread.json'},
      {path: '/etc/passwd'},
      {path: '../g/a.eti'},
      {path: 'data'},
      {offset: 4 * CHUNK, length: 100},
      {offset: 1, length: CHUNK},
      {offset: 3 * CHUNK, length: CHUNK},
      {offset: 3 * CHUNK, length: 99},
      {offset: 0, length: 1},
      {path: 'version.ini', length: 3},
    ]
    for (const bad of cases) expect((await refusal(server.getChunk(chunk(game.manifest, bad), 'peer'))).code, JSON.stringify(bad)).toBe('invalid_input')
    expect(server.permitsInUse()).toBe(0)
  })

  it('refuses a verified file swapped for a symbolic link', async () => {
    const {server, game, root, lib} = await setup()
    const outside = await lib.writeGame('outside', {'secret.bin': A})
    await fs.rm(path.join(root, 'a.eti'))
    await fs.symlink(path.join(outside, 'secret.bin'), path.join(root, 'a.eti'))
    expect(await refusal(server.getChunk(chunk(game.manifest), 'peer'))).toMatchObject({
      code: 'not_downloaded',
      message: expect.stringContaining('symbolic link'),
    })
  })

  it('serves a game its catalog does not list yet: the entry comes with the download', async () => {
    const {server, game, library} = await setup({catalog: []})
    expect(library.summary('g')?.availability).toBe('downloading')
    expect(await server.getGame({type: 'GetGame', id: 'g'})).toEqual(game.manifest)
    ;(await server.getChunk(chunk(game.manifest), 'peer')).release?.()
  })

  it('serves nothing of a download the runtime does not show, as before', async () => {
    const {server, game} = await setup({partial: false})
    expect(await refusal(server.getGame({type: 'GetGame', id: 'g'}))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('download')})
    expect((await refusal(server.getChunk(chunk(game.manifest), 'peer'))).code).toBe('not_downloaded')
  })

  it('holds partial chunks to the same permits as complete ones', async () => {
    const {server, game} = await setup({permits: new ChunkPermits({perPeer: 2, total: 3})})
    const held = [await server.getChunk(chunk(game.manifest), 'hog'), await server.getChunk(chunk(game.manifest), 'hog')]
    expect((await refusal(server.getChunk(chunk(game.manifest), 'hog'))).code).toBe('busy')
    held.push(await server.getChunk(chunk(game.manifest), 'polite'))
    for (const reply of held) reply.release?.()
    expect(server.permitsInUse()).toBe(0)
  })

  it('checks the download again once a slot frees: one that ended meanwhile is not read from', async () => {
    const {server, game, partials} = await setup({permits: new ChunkPermits({perPeer: 1, total: 1})})
    const held = await server.getChunk(chunk(game.manifest), 'hog')
    const waiting = server.getChunk(chunk(game.manifest), 'late')
    partials.delete('g') // the download ended (or failed) while the request waited for the slot
    held.release?.()
    expect(await refusal(waiting)).toMatchObject({code: 'busy', message: expect.stringContaining('ended meanwhile')})
    expect(server.permitsInUse()).toBe(0)
  })
})

describe('servablePartial', () => {
  const game = fakeGame('g', FILES, CHUNK)
  const partial: PartialGame = {manifest: game.manifest, hasChunk: () => true, diskPath: (p) => p}
  const partials = {get: (id: string) => (id === 'g' ? partial : undefined)}
  const summary: GameSummary = {
    id: 'g',
    name: 'g',
    eti_version: null,
    size: 1,
    downloaded: false,
    installed: false,
    manifest_hash: game.manifest.manifest_hash,
    availability: 'downloading',
    needs_recovery: false,
    content_hash: game.manifest.content_hash,
  }

  it('takes the download only while the summary says downloading its manifest and the download owns the game', () => {
    expect(servablePartial('g', summary, 'download', partials)).toBe(partial)
    // A rescan during the download sees its own scratch (.version.ini.tmp) as a mark: still served.
    expect(servablePartial('g', {...summary, needs_recovery: true}, 'download', partials)).toBe(partial)
    expect(servablePartial('g', undefined, 'download', partials)).toBeUndefined()
    expect(servablePartial('g', {...summary, availability: 'ready'}, undefined, partials)).toBeUndefined()
    expect(servablePartial('g', summary, 'install', partials)).toBeUndefined()
    expect(servablePartial('g', summary, undefined, partials)).toBeUndefined()
    expect(servablePartial('g', {...summary, manifest_hash: 'f'.repeat(64)}, 'download', partials)).toBeUndefined()
    expect(servablePartial('g', summary, 'download', undefined)).toBeUndefined()
    expect(servablePartial('h', {...summary, id: 'h'}, 'download', {get: () => partial})).toBeUndefined()
  })

  it('keeps a ready game served from its own files, whatever a stale view says', async () => {
    const {server, state, library, lib} = await setup()
    await fs.rename(path.join(lib.file('g'), '.version.ini.tmp'), path.join(lib.file('g'), 'version.ini')) // the sentinel published
    state.active = undefined // the download ended
    await library.refresh({full: true})
    expect(library.summary('g')?.availability).toBe('ready')
    const manifest = await server.getGame({type: 'GetGame', id: 'g'})
    expect(manifest).toMatchObject({type: 'GameManifest'})
    expect(manifest).not.toEqual(game.manifest) // the files on disk, not the download's target
  })
})

describe('a downloading peer serves its download (downloader, view and server together)', () => {
  it('serves the chunks it landed while the rest are still coming', async () => {
    const lib = await makeTempLibrary([])
    const operations = new GameOperations(lib.paths)
    const library = await Library.open(lib.paths, {operations})
    operations.attachLibrary(library)
    const views = new Map<string, DownloadView>()
    const server = new GameServer({permitWaitMs: 100, permitHoldMs: 5000}, {library, operations, partials: {get: (id) => views.get(id)}})
    const game = fakeGame('g', FILES, CHUNK)
    const seed = new FakeSource('seed', game, {hold: true})
    let landed = 0
    const running = downloadGame(
      {
        id: 'g',
        candidates: [seed.candidate()],
        limits: {perSource: 1},
        onStarted: (view) => {
          views.set('g', view)
          view.onVerified(() => landed++)
        },
      },
      {operations},
    )
    for (let i = 0; i < 500 && seed.heldCount === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    // The first chunk asked for (chunks go in random order), then one not asked for yet.
    const first = seed.requests[0]!
    const later = first.path === 'data/b.bin' ? {path: 'a.eti', offset: 0, length: CHUNK} : {path: 'data/b.bin', offset: 0, length: CHUNK}
    seed.release()
    for (let i = 0; i < 500 && landed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await server.getGame({type: 'GetGame', id: 'g'})).toEqual(game.manifest)
    const reply = await server.getChunk(chunk(game.manifest, {path: first.path, offset: first.offset, length: first.length}), 'fetcher')
    expect(Buffer.from(reply.raw!)).toEqual(Buffer.from(game.read(first.path, first.offset, first.length)))
    reply.release?.()
    expect((await refusal(server.getChunk(chunk(game.manifest, later), 'fetcher'))).code).toBe('busy')
    seed.release(true)
    await running
    // Done: the summary no longer says downloading, so the view (still registered) is not used.
    expect(library.summary('g')?.availability).toBe('local_only') // not in the catalog: nothing learned without beforePublish
    expect(await refusal(server.getChunk(chunk(game.manifest), 'fetcher'))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('catalog')})
  })
})
