// The downloader as a swarm (SPEC §5.1), with fake sources: partial peers that join while it
// runs, seeds that leave, chunks nobody holds, the endgame, and partial peers that lie.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import type {SwarmSources} from '../../src/download/chunk-scheduler.js'
import {type DownloadOptions, downloadGame} from '../../src/download/downloader.js'
import type {ChunkReply, ChunkRequest} from '../../src/download/game-source.js'
import {LanspreadError} from '../../src/errors.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {type FakeGame, FakeSource, type FakeSourceOptions, generatedGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024
/** 16 chunks: a.eti's 15 (indexes 0–14), then version.ini's (15). */
const GAME = generatedGame('g', {'version.ini': 4, 'a.eti': 15 * CHUNK}, CHUNK)
const range = (from: number, to: number): number[] => Array.from({length: to - from}, (_, index) => from + index)

function indexOf(request: ChunkRequest): number {
  return request.path === 'version.ini' ? 15 : request.offset / CHUNK
}

/** A peer downloading the same content: serves the chunks it holds, refuses the others `busy`, as a partial peer does. */
class PartialSource extends FakeSource {
  constructor(
    peerId: string,
    game: FakeGame,
    readonly holds: Set<number>,
    options: FakeSourceOptions = {},
  ) {
    super(peerId, game, options)
  }

  override async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    if (!this.holds.has(indexOf(request))) {
      this.requests.push(request)
      throw new LanspreadError('busy', `${this.peerId} has not verified chunk ${indexOf(request)} yet`)
    }
    return super.getChunk(request)
  }
}

async function setup() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const operations = new GameOperations(lib.paths)
  operations.attachLibrary(await Library.open(lib.paths, {operations}))
  const download = (seeds: FakeSource[], options: Partial<DownloadOptions> = {}) =>
    downloadGame({id: 'g', candidates: seeds.map((s) => s.candidate()), ...options}, {operations})
  return {download, root: lib.file('g')}
}

async function expectGame(root: string): Promise<void> {
  for (const file of GAME.manifest.files) {
    const bytes = await fs.readFile(path.join(root, file.path))
    expect(bytes.length, file.path).toBe(file.size)
    // A generated game's bytes depend on where each chunk starts: compare chunk by chunk.
    for (let offset = 0; offset < file.size; offset += CHUNK) {
      const expected = Buffer.from(GAME.read(file.path, offset, Math.min(CHUNK, file.size - offset)))
      expect(bytes.subarray(offset, offset + expected.length).equals(expected), `${file.path} at ${offset}`).toBe(true)
    }
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

/** Resolves with the download's swarm handle once the scheduler runs. */
function swarmHandle(): {onSwarm(swarm: SwarmSources): void; swarm: Promise<SwarmSources>} {
  let resolve: (swarm: SwarmSources) => void = () => {}
  const swarm = new Promise<SwarmSources>((done) => (resolve = done))
  return {onSwarm: (handle) => resolve(handle), swarm}
}

describe('the downloader as a swarm', () => {
  it('uses a partial peer that joins mid-download, and reports it as one', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 20})
    const partial = new PartialSource('partial', GAME, new Set(range(0, 16)))
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm})
    const swarm = await handle.swarm
    await until(() => seed.requests.length > 0, 'the seed asked')
    swarm.join(partial, 'partial', range(0, 16))
    const result = await running
    await expectGame(root)
    expect(partial.servedBytes).toBeGreaterThan(0)
    expect(result.sources).toEqual(
      expect.arrayContaining([
        {peer_id: 'seed', bytes: seed.servedBytes, kind: 'seed'},
        {peer_id: 'partial', bytes: expect.any(Number), kind: 'partial'},
      ]),
    )
    expect(result.sources.reduce((sum, s) => sum + s.bytes, 0)).toBe(result.bytes)
  })

  it('follows Haves: a partial peer is asked only for what it announced', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 30})
    const partial = new PartialSource('partial', GAME, new Set())
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm})
    const swarm = await handle.swarm
    swarm.join(partial, 'partial', [])
    for (const index of range(0, 16)) partial.holds.add(index)
    swarm.have('partial', range(0, 16))
    await running
    await expectGame(root)
    expect(partial.servedBytes).toBeGreaterThan(0)
    expect(partial.requests.every((request) => partial.holds.has(indexOf(request)))).toBe(true)
  })

  it('finishes from partial peers when the seed leaves, if together they hold every chunk', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {hold: true})
    const a = new PartialSource('a', GAME, new Set(range(0, 8)))
    const b = new PartialSource('b', GAME, new Set(range(8, 16)))
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm})
    const swarm = await handle.swarm
    await until(() => seed.heldCount > 0, 'the seed holding a request')
    swarm.join(a, 'partial', range(0, 8))
    swarm.join(b, 'partial', range(8, 16))
    swarm.leave('seed')
    const result = await running
    seed.release(true)
    await expectGame(root)
    expect(result.sources.find((s) => s.peer_id === 'seed')?.bytes).toBe(0)
    expect(a.servedBytes + b.servedBytes).toBe(result.bytes)
  })

  it('fails naming the share of chunks no peer holds once the seed left and no source came within the grace period', async () => {
    const {download} = await setup()
    const seed = new FakeSource('seed', GAME, {hold: true})
    const partial = new PartialSource('partial', GAME, new Set(range(0, 13)))
    const handle = swarmHandle()
    const started = Date.now()
    const running = download([seed], {onSwarm: handle.onSwarm, limits: {sourceGraceMs: 200}})
    const swarm = await handle.swarm
    await until(() => seed.heldCount > 0, 'the seed holding a request')
    swarm.join(partial, 'partial', range(0, 13))
    swarm.leave('seed')
    await expect(running).rejects.toMatchObject({code: 'no_peers', message: '3 of 16 chunks (19%) of game g are held by no connected peer'})
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    seed.release(true)
  })

  it('waits out the grace period for a new source, and finishes with it', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {hold: true})
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, limits: {sourceGraceMs: 5_000}})
    const swarm = await handle.swarm
    await until(() => seed.heldCount > 0, 'the seed holding a request')
    swarm.leave('seed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const late = new FakeSource('late', GAME)
    swarm.join(late, 'seed')
    const result = await running
    seed.release(true)
    await expectGame(root)
    expect(result.sources.find((s) => s.peer_id === 'late')).toMatchObject({bytes: result.bytes, kind: 'seed'})
  })

  it('asks an idle source for a copy of a chunk held too long, and drops the slower reply (endgame)', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {hold: true})
    const partial = new PartialSource('partial', GAME, new Set(range(0, 16)))
    const handle = swarmHandle()
    const started = Date.now()
    const running = download([seed], {onSwarm: handle.onSwarm, limits: {stealAfterMs: 50}})
    const swarm = await handle.swarm
    await until(() => seed.heldCount > 0, 'the seed holding its requests')
    const heldBySeed = seed.requests.map(indexOf)
    swarm.join(partial, 'partial', range(0, 16))
    const result = await running
    expect(Date.now() - started).toBeLessThan(3_000)
    await expectGame(root)
    // The partial peer sent the seed's chunks too; the seed's replies, released late, are dropped.
    expect(partial.requests.map(indexOf)).toEqual(expect.arrayContaining(heldBySeed))
    seed.release(true)
    expect(result.sources.find((s) => s.peer_id === 'seed')?.bytes).toBe(0)
    expect(result.bytes).toBe(15 * CHUNK + 4)
  })

  it('drops a partial peer that refuses the chunks it announced, and finishes from the seed', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 10})
    const liar = new PartialSource('liar', GAME, new Set())
    const dropped: string[] = []
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, onSourceDropped: (peerId) => dropped.push(peerId)})
    const swarm = await handle.swarm
    swarm.join(liar, 'partial', range(0, 16))
    const result = await running
    await expectGame(root)
    expect(dropped).toEqual(['liar'])
    // Refusals are not bad bytes: it is out for now, not for good.
    expect(swarm.isDropped('liar')).toBe(false)
    expect(swarm.kindOf('liar')).toBeUndefined()
    expect(result.sources.find((s) => s.peer_id === 'liar')?.bytes).toBe(0)
    expect(liar.requests.length).toBeLessThanOrEqual(3 + 8)
  })

  it('takes back, as a seed, a partial peer dropped for refusals once its download finished', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {hold: true})
    // Its download ended but its library is not published yet: it refuses everything for a moment.
    const finishing = new PartialSource('finishing', GAME, new Set())
    const dropped: string[] = []
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, onSourceDropped: (peerId, _reason, forGood) => dropped.push(`${peerId} ${forGood}`)})
    const swarm = await handle.swarm
    await until(() => seed.heldCount > 0, 'the seed holding a request')
    swarm.join(finishing, 'partial', range(0, 16))
    await until(() => dropped.length > 0, 'the refusing peer dropped')
    expect(dropped).toEqual(['finishing false'])
    for (const index of range(0, 16)) finishing.holds.add(index)
    expect(swarm.join(finishing, 'seed')).toBe(true)
    const result = await running
    seed.release(true)
    await expectGame(root)
    expect(result.sources.find((s) => s.peer_id === 'finishing')).toMatchObject({kind: 'seed', bytes: result.bytes})
  })

  it('takes the chunks of a partial peer that stalls from the seed, and rests it (swarm member)', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 5})
    // Announces every chunk, takes every request, answers none: the chunk timeout alone would wait 30 s per request.
    const staller = new PartialSource('staller', GAME, new Set(range(0, 16)), {hold: true})
    const dropped: string[] = []
    const handle = swarmHandle()
    const started = Date.now()
    const running = download([seed], {self: 'me', onSwarm: handle.onSwarm, limits: {stealAfterMs: 200}, onSourceDropped: (peerId) => dropped.push(peerId)})
    const swarm = await handle.swarm
    swarm.join(staller, 'partial', range(0, 16))
    const result = await running
    expect(Date.now() - started).toBeLessThan(5_000)
    await expectGame(root)
    expect(result.sources.find((s) => s.peer_id === 'seed')?.bytes).toBe(result.bytes)
    expect(dropped).toEqual(['staller'])
    // Out for now, not for good: it sent no bad bytes.
    expect(swarm.isDropped('staller')).toBe(false)
    staller.release(true)
  }, 20_000)

  it('counts a stall of several requests as one failure: the source is asked again, not dropped', async () => {
    const {download, root} = await setup()
    const stalled = new FakeSource('stalled', GAME, {hold: true})
    const dropped: string[] = []
    const handle = swarmHandle()
    const limits = {chunkTimeoutMs: 60, perSource: 4, maxSourceFailures: 3, sourceGraceMs: 5_000}
    const running = download([stalled], {onSwarm: handle.onSwarm, limits, onSourceDropped: (peerId) => dropped.push(peerId)})
    const swarm = await handle.swarm
    await until(() => stalled.heldCount >= 3, 'three requests held')
    const firstRound = stalled.requests.length
    // One timeout of all of them: the chunks are asked of it again.
    await until(() => stalled.requests.length > firstRound, 'the stalled source asked again')
    expect(dropped).toEqual([])
    swarm.join(new FakeSource('good', GAME), 'seed')
    await running
    stalled.release(true)
    await expectGame(root)
  })

  it('counts a partial peer that finished as a seed: the first seed is asked again (swarm member)', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 15})
    const done = new PartialSource('done', GAME, new Set(range(0, 16)), {delayMs: 15})
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, self: 'me'})
    const swarm = await handle.swarm
    swarm.join(done, 'partial', range(0, 16))
    // As a partial holding every chunk it takes them all: a swarm member spares the seed.
    await until(() => done.requests.length > 0, 'the partial peer asked')
    const seedAsked = seed.requests.length
    swarm.join(done, 'seed')
    const result = await running
    await expectGame(root)
    expect(seed.requests.length).toBeGreaterThan(seedAsked)
    expect(result.sources.find((s) => s.peer_id === 'done')?.kind).toBe('seed')
  })

  it('keeps the requests in flight at a partial peer that finished: the seed is not asked for them (swarm member)', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 5})
    const done = new PartialSource('done', GAME, new Set(range(0, 16)), {hold: true})
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, self: 'me'})
    const swarm = await handle.swarm
    swarm.join(done, 'partial', range(0, 16))
    await until(() => done.heldCount > 0, 'requests held at the partial peer')
    const held = done.requests.map(indexOf)
    const seedAsked = seed.requests.length
    swarm.join(done, 'seed')
    // The seed goes on with the chunks nobody is asked for; the held ones stay with `done`.
    await until(() => seed.requests.length > seedAsked, 'the seed asked again')
    done.release(true)
    const result = await running
    await expectGame(root)
    expect(
      seed.requests
        .slice(seedAsked)
        .map(indexOf)
        .filter((chunk) => held.includes(chunk)),
    ).toEqual([])
    expect(result.sources.find((s) => s.peer_id === 'done')).toMatchObject({kind: 'seed'})
  })

  it('drops a partial peer at its first bad chunk, for good, and counts the chunk retried', async () => {
    const {download, root} = await setup()
    const seed = new FakeSource('seed', GAME, {delayMs: 10})
    const liar = new PartialSource('liar', GAME, new Set(range(0, 16)), {lies: () => true})
    const dropped: string[] = []
    const handle = swarmHandle()
    const running = download([seed], {onSwarm: handle.onSwarm, onSourceDropped: (peerId, reason) => dropped.push(`${peerId}: ${reason}`)})
    const swarm = await handle.swarm
    swarm.join(liar, 'partial', range(0, 16))
    await until(() => dropped.length > 0, 'the liar dropped')
    const asked = liar.requests.length
    swarm.join(liar, 'partial', range(0, 16)) // it comes back: ignored for this game
    expect(swarm.kindOf('liar')).toBeUndefined()
    const result = await running
    await expectGame(root)
    expect(dropped).toEqual([expect.stringMatching(/^liar: served bytes that do not match the manifest/)])
    expect(liar.requests.length).toBe(asked)
    expect(result.retried_chunks).toBeGreaterThanOrEqual(1)
    expect(result.sources.find((s) => s.peer_id === 'liar')?.bytes).toBe(0)
  })
})
