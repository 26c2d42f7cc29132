import {createHash} from 'blake3-wasm'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {MIN_CHUNK_SIZE} from '../../src/config.js'
import {fileHashOf} from '../../src/library/content-hashes.js'
import {Library} from '../../src/library/library.js'
import type {ActiveOperation} from '../../src/library/summary.js'
import type {GameManifest, GetChunk, Message} from '../../src/protocol/messages.js'
import {ChunkBufferPool} from '../../src/util/chunk-buffer-pool.js'
import {ChunkPermits} from '../../src/serving/chunk-permits.js'
import {FRAME_ROOM} from '../../src/serving/chunk-reply.js'
import {GameServer} from '../../src/serving/game-server.js'
import {makeTempLibrary, setMtime} from '../helpers/temp-library.js'
import {lanspreadRejection} from '../helpers/rejection.js'

const blake3 = (data: Buffer): Buffer => createHash().update(data).digest()
const hex = (data: Buffer): string => blake3(data).toString('hex')
/** content_hash written out by hand: "lanspread-content-v1\n" ‖ manifest_hash ‖ u64be chunk_size ‖ file hashes. */
function contentHash(manifest: GameManifest): string {
  const size = Buffer.alloc(8)
  size.writeBigUInt64BE(BigInt(manifest.chunk_size))
  const files = manifest.files.map((file) => Buffer.from(file.hash, 'hex'))
  return hex(Buffer.concat([Buffer.from('lanspread-content-v1\n'), Buffer.from(manifest.manifest_hash, 'hex'), size, ...files]))
}

function pattern(length: number, seed = 0): Buffer {
  const data = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >> 8) + seed) % 251
  return data
}

const BIG = pattern(MIN_CHUNK_SIZE + 1000)

async function setup(options: {catalog?: string[]; permits?: ChunkPermits; waitMs?: number; holdMs?: number; buffers?: ChunkBufferPool} = {}) {
  const lib = await makeTempLibrary((options.catalog ?? ['g']).map((id) => ({id, name: id})))
  const root = await lib.writeGame('g', {'version.ini': '1.0\n', 'data/big.bin': BIG, 'small.txt': 'hello', 'local/save.dat': 'mine'})
  const active = new Map<string, ActiveOperation>()
  const operations = {activeOperation: (id: string) => active.get(id)}
  const library = await Library.open(lib.paths, {operations})
  await library.refresh()
  const server = new GameServer(
    {permitWaitMs: options.waitMs ?? 200, permitHoldMs: options.holdMs ?? 5000},
    {library, operations, ...(options.permits ? {permits: options.permits} : {}), ...(options.buffers ? {buffers: options.buffers} : {})},
  )
  return {lib, root, library, server, active}
}

async function manifestOf(server: GameServer): Promise<GameManifest> {
  const reply = await server.getGame({type: 'GetGame', id: 'g'})
  if (reply.type !== 'GameManifest') throw new Error(`expected a manifest, got ${reply.type}`)
  return reply
}

function chunk(manifest: GameManifest, overrides: Partial<GetChunk> = {}): GetChunk {
  return {type: 'GetChunk', id: 'g', manifest_hash: manifest.manifest_hash, path: 'small.txt', offset: 0, length: 5, ...overrides}
}

const refusal = lanspreadRejection

describe('GameServer: GetGame', () => {
  it('returns the manifest whose chunk, file and content hashes match the bytes on disk', async () => {
    const {server} = await setup()
    const manifest = await manifestOf(server)
    expect(manifest.files.map((file) => file.path)).toEqual(['data/big.bin', 'small.txt', 'version.ini'])
    const big = manifest.files[0]!
    expect(big.size).toBe(BIG.length)
    expect(big.chunks).toEqual([hex(BIG.subarray(0, MIN_CHUNK_SIZE)), hex(BIG.subarray(MIN_CHUNK_SIZE))])
    expect(big.hash).toBe(fileHashOf(big.chunks))
    expect(manifest.files[1]!.chunks).toEqual([hex(Buffer.from('hello'))])
    expect(manifest.chunk_size).toBe(MIN_CHUNK_SIZE)
    expect(manifest.content_hash).toBe(contentHash(manifest))
  })

  it('answers NotModified to the content_hash it has, and the manifest to any other', async () => {
    const {server} = await setup()
    const manifest = await manifestOf(server)
    expect(await server.getGame({type: 'GetGame', id: 'g', content_hash: manifest.content_hash})).toEqual({type: 'NotModified'})
    expect(await server.getGame({type: 'GetGame', id: 'g', content_hash: 'b'.repeat(64)})).toMatchObject({
      type: 'GameManifest',
      content_hash: manifest.content_hash,
    })
  })

  it('sees a file rewritten at the same size (new mtime): same manifest_hash, another content_hash, no NotModified', async () => {
    const {server, root} = await setup()
    const before = await manifestOf(server)
    const file = path.join(root, 'small.txt')
    await fs.writeFile(file, 'HELLO')
    await setMtime(file, 2_000_000_000)
    const after = await server.getGame({type: 'GetGame', id: 'g', content_hash: before.content_hash})
    expect(after.type).toBe('GameManifest')
    const manifest = after as GameManifest
    expect(manifest.manifest_hash).toBe(before.manifest_hash)
    expect(manifest.content_hash).not.toBe(before.content_hash)
    expect(manifest.files[1]!.chunks).toEqual([hex(Buffer.from('HELLO'))])
  })

  it('cannot see a same-size rewrite whose mtime was put back: its chunk goes out with the recorded hash, the new bytes under it', async () => {
    const {server, root} = await setup()
    const file = path.join(root, 'small.txt')
    await setMtime(file, 1_900_000_000)
    const before = await manifestOf(server)
    await fs.writeFile(file, 'HELLO')
    await setMtime(file, 1_900_000_000)
    // The size+mtime cache keeps the old hashes: NotModified. The downloader's check catches it:
    expect(await server.getGame({type: 'GetGame', id: 'g', content_hash: before.content_hash})).toEqual({type: 'NotModified'})
    // The header carries the hash our content hashes hold (no second hashing of every served
    // chunk); the bytes are what the disk holds now, which the downloader's check refuses.
    for (const framed of [false, true]) {
      const reply = await server.getChunk(chunk(before), 'peer', {framed})
      expect(reply.reply).toEqual({type: 'ChunkHeader', hash: before.files[1]!.chunks[0], length: 5})
      expect(Buffer.from(reply.raw!).toString()).toBe('HELLO')
      expect(hex(Buffer.from(reply.raw!))).not.toBe(before.files[1]!.chunks[0])
      reply.release?.()
    }
  })

  it('refuses games that are not transferable: unknown, not in the catalog, no sentinel, an operation running', async () => {
    const {server, lib, library, active, root} = await setup({catalog: []})
    expect((await refusal(server.getGame({type: 'GetGame', id: 'nope'}))).code).toBe('not_found')
    expect(await refusal(server.getGame({type: 'GetGame', id: 'g'}))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('catalog')})
    await lib.writeCatalog([{id: 'g', name: 'g'}])
    await library.reloadCatalog()
    const manifest = await manifestOf(server)
    active.set('g', 'install')
    expect(await refusal(server.getGame({type: 'GetGame', id: 'g'}))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('install')})
    expect(await refusal(server.getChunk(chunk(manifest), 'peer'))).toMatchObject({code: 'not_downloaded'})
    active.delete('g')
    // version.ini gone and no rescan yet: the chunk is still refused (checked on disk)
    await fs.rm(path.join(root, 'version.ini'))
    expect(await refusal(server.getChunk(chunk(manifest), 'peer'))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('version.ini')})
    expect(await refusal(server.getGame({type: 'GetGame', id: 'g'}))).toMatchObject({code: 'not_downloaded'})
  })
})

describe('GameServer: GetChunk', () => {
  it('serves whole chunks with the BLAKE3 of the bytes read', async () => {
    const {server} = await setup()
    const manifest = await manifestOf(server)
    const second = await server.getChunk(chunk(manifest, {path: 'data/big.bin', offset: MIN_CHUNK_SIZE, length: 1000}), 'peer')
    expect(Buffer.from(second.raw!)).toEqual(BIG.subarray(MIN_CHUNK_SIZE))
    expect(second.reply).toEqual({type: 'ChunkHeader', hash: manifest.files[0]!.chunks[1], length: 1000})
    expect(server.permitsInUse()).toBe(1)
    second.release?.()
    expect(server.permitsInUse()).toBe(0)
  })

  it('refuses paths outside the manifest, local/, reserved names, absolute paths and ..', async () => {
    const {server} = await setup()
    const manifest = await manifestOf(server)
    for (const bad of ['nothere.txt', 'local/save.dat', '.lanspread.json', '/etc/passwd', '../g/small.txt', 'data/../small.txt', 'data']) {
      const error = await refusal(server.getChunk(chunk(manifest, {path: bad}), 'peer'))
      expect(error.code, bad).toBe('invalid_input')
    }
    expect(server.permitsInUse()).toBe(0)
  })

  it('refuses offsets and lengths that are not a whole chunk of the file', async () => {
    const {server} = await setup()
    const manifest = await manifestOf(server)
    const big = {path: 'data/big.bin'}
    const cases: Partial<GetChunk>[] = [
      {...big, offset: 1, length: MIN_CHUNK_SIZE},
      {...big, offset: 2 * MIN_CHUNK_SIZE, length: 1},
      {...big, offset: MIN_CHUNK_SIZE, length: 1001},
      {...big, offset: MIN_CHUNK_SIZE, length: 999},
      {...big, offset: 0, length: 10},
      {offset: 5, length: 1},
      {offset: 0, length: 6},
    ]
    for (const bad of cases) expect((await refusal(server.getChunk(chunk(manifest, bad), 'peer'))).code, JSON.stringify(bad)).toBe('invalid_input')
  })

  it('refuses a stale manifest_hash', async () => {
    const {server, root, library} = await setup()
    const manifest = await manifestOf(server)
    expect((await refusal(server.getChunk(chunk(manifest, {manifest_hash: 'c'.repeat(64)}), 'peer'))).message).toContain('stale')
    await fs.writeFile(path.join(root, 'new.txt'), 'new file')
    await library.refresh({full: true})
    expect((await refusal(server.getChunk(chunk(manifest), 'peer'))).code).toBe('not_downloaded')
    const fresh = await manifestOf(server)
    expect((await server.getChunk(chunk(fresh, {path: 'new.txt', length: 8}), 'peer')).reply).toMatchObject({length: 8})
  })

  it('refuses a manifest file replaced by a symbolic link, and one whose parent folder became a link', async () => {
    const {server, root, lib} = await setup()
    const manifest = await manifestOf(server)
    const outside = await lib.writeGame('outside', {'secret.txt': 'SECRET', 'big.bin': BIG})
    await fs.rm(path.join(root, 'small.txt'))
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'small.txt'))
    expect(await refusal(server.getChunk(chunk(manifest), 'peer'))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('symbolic link')})
    await fs.rm(path.join(root, 'data'), {recursive: true})
    await fs.symlink(outside, path.join(root, 'data'))
    const error = await refusal(server.getChunk(chunk(manifest, {path: 'data/big.bin', offset: 0, length: MIN_CHUNK_SIZE}), 'peer'))
    expect(error).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('symbolic link')})
    expect(server.permitsInUse()).toBe(0)
  })

  it('refuses a file that changed size since the scan, and a game root that is a symbolic link', async () => {
    const {server, root, lib} = await setup()
    const manifest = await manifestOf(server)
    await fs.writeFile(path.join(root, 'small.txt'), 'hello, longer now')
    expect(await refusal(server.getChunk(chunk(manifest), 'peer'))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('manifest says 5')})
    await fs.writeFile(path.join(root, 'small.txt'), 'hello')
    await fs.rename(root, lib.file('moved'))
    await fs.symlink(lib.file('moved'), root)
    expect(await refusal(server.getChunk(chunk(manifest), 'peer'))).toMatchObject({code: 'not_downloaded', message: expect.stringContaining('not a folder')})
  })

  it('holds at most the permitted chunks per peer: the next waits, then gets busy; other peers go on', async () => {
    const {server} = await setup({permits: new ChunkPermits({perPeer: 2, total: 3}), waitMs: 150})
    const manifest = await manifestOf(server)
    const one = await server.getChunk(chunk(manifest), 'hog')
    const two = await server.getChunk(chunk(manifest), 'hog')
    expect(await refusal(server.getChunk(chunk(manifest), 'hog'))).toMatchObject({code: 'busy'})
    const other = await server.getChunk(chunk(manifest), 'polite')
    expect(await refusal(server.getChunk(chunk(manifest), 'third'))).toMatchObject({code: 'busy'})
    const waiting = server.getChunk(chunk(manifest), 'hog')
    one.release?.()
    expect((await waiting).reply).toMatchObject({type: 'ChunkHeader'})
    for (const reply of [two, other, await waiting]) reply.release?.()
    expect(server.permitsInUse()).toBe(0)
  })

  it('counts permits per source address: fresh peer_ids of one address share its cap, and the reserve serves a new address', async () => {
    const {server} = await setup({permits: new ChunkPermits({perPeer: 2, total: 6, perAddress: 4, reserved: 2}), waitMs: 100})
    const manifest = await manifestOf(server)
    const held = []
    // five fresh peer_ids of one address: four permits in all, whatever the peer_ids
    for (let peer = 0; peer < 5; peer++) {
      for (let i = 0; i < 2; i++) held.push(server.getChunk(chunk(manifest), `hog-${peer}`, {}, '10.0.0.9').catch(() => 'busy'))
    }
    const outcomes = await Promise.all(held)
    expect(outcomes.filter((outcome) => outcome === 'busy')).toHaveLength(6)
    expect(server.permitsInUseByAddress('10.0.0.9')).toBe(4)
    // a second busy address takes what is left outside the reserve, no more
    const second = [await server.getChunk(chunk(manifest), 'other-hog', {}, '10.0.0.8')]
    expect(await refusal(server.getChunk(chunk(manifest), 'other-hog-2', {}, '10.0.0.8'))).toMatchObject({code: 'busy'})
    // an address holding nothing is served at once from the reserve
    const fresh = await server.getChunk(chunk(manifest), 'polite', {}, '10.0.0.7')
    expect(fresh.reply).toMatchObject({type: 'ChunkHeader'})
    for (const reply of [...outcomes, ...second, fresh]) if (typeof reply !== 'string') reply.release?.()
    expect(server.permitsInUse()).toBe(0)
  })

  it('hashes a chunk it has no content hash for (no GetGame yet), and takes the recorded one after', async () => {
    const {server, library} = await setup()
    const manifest_hash = library.summary('g')!.manifest_hash
    const ask = chunk({manifest_hash} as GameManifest, {path: 'data/big.bin', offset: MIN_CHUNK_SIZE, length: 1000})
    const first = await server.getChunk(ask, 'peer', {framed: true})
    expect(first.reply).toEqual({type: 'ChunkHeader', hash: hex(BIG.subarray(MIN_CHUNK_SIZE)), length: 1000})
    first.release?.()
    const manifest = await manifestOf(server)
    const second = await server.getChunk(ask, 'peer', {framed: true})
    expect(second.reply).toEqual({type: 'ChunkHeader', hash: manifest.files[0]!.chunks[1], length: 1000})
    second.release?.()
  })

  it('puts a framed reply (its header frame, then the chunk) in one buffer the plane gives back', async () => {
    const buffers = new ChunkBufferPool(FRAME_ROOM + MIN_CHUNK_SIZE, 1)
    const {server} = await setup({buffers})
    const manifest = await manifestOf(server)
    const reply = await server.getChunk(chunk(manifest, {path: 'data/big.bin', offset: 0, length: MIN_CHUNK_SIZE}), 'peer', {framed: true})
    const framed = Buffer.from(reply.framed!)
    const bodyLength = framed.readUInt32BE(0)
    expect(JSON.parse(framed.subarray(4, 4 + bodyLength).toString())).toEqual(reply.reply)
    expect(reply.reply).toEqual({type: 'ChunkHeader', hash: manifest.files[0]!.chunks[0], length: MIN_CHUNK_SIZE})
    expect(framed.subarray(4 + bodyLength).equals(BIG.subarray(0, MIN_CHUNK_SIZE))).toBe(true)
    expect(buffers.freeCount()).toBe(0)
    reply.release?.()
    expect(buffers.freeCount()).toBe(1)
    expect(server.permitsInUse()).toBe(0)
  })

  it("never reuses a framed reply's buffer before the plane released it, even once its permit was taken back", async () => {
    const buffers = new ChunkBufferPool(FRAME_ROOM + MIN_CHUNK_SIZE, 4)
    const {server} = await setup({buffers, holdMs: 50})
    const manifest = await manifestOf(server)
    const big = (offset: number, length: number) => chunk(manifest, {path: 'data/big.bin', offset, length})
    const slow = await server.getChunk(big(0, MIN_CHUNK_SIZE), 'slow', {framed: true})
    const held = Buffer.from(slow.framed!)
    // The plane is still writing it (say, a slow socket) when the permit's timer takes the permit back.
    for (let i = 0; i < 100 && server.permitsInUse() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(server.permitsInUse()).toBe(0)
    const others = []
    for (let i = 0; i < 3; i++) others.push(await server.getChunk(big(MIN_CHUNK_SIZE, 1000), 'fast', {framed: true}))
    for (const other of others) {
      expect(other.framed!.buffer).not.toBe(slow.framed!.buffer)
      other.release?.()
    }
    for (let i = 0; i < 3; i++) (await server.getChunk(big(MIN_CHUNK_SIZE, 1000), 'fast', {framed: true})).release?.()
    expect(Buffer.from(slow.framed!).equals(held)).toBe(true)
    // Released by the plane, it is reused.
    slow.release?.()
    const reused = await server.getChunk(big(MIN_CHUNK_SIZE, 1000), 'fast', {framed: true})
    expect(reused.framed!.buffer).toBe(slow.framed!.buffer)
    reused.release?.()
  })

  it('answers only GetGame and GetChunk', async () => {
    const {server} = await setup()
    const ping: Message = {type: 'Ping'}
    expect((await refusal(server.handle(ping, 'peer'))).code).toBe('invalid_input')
  })
})
