// The runtime's registry of running downloads (SPEC §5.1): ChunkMap answers, Have announcements
// (batched, split, bounded followers, ended with the connection or the download; a stream each,
// or down a subscriber's own stream: record 0038), Haves in.
import {describe, expect, it} from 'vitest'
import type {DownloadView, VerifiedListener} from '../../src/download/verified-chunks.js'
import {HAVE_BATCH_MS, MAX_HAVE_FOLLOWERS} from '../../src/peer/swarm/have-announcer.js'
import {RunningDownloads} from '../../src/peer/swarm/running-downloads.js'
import {chunkIndexes, decodeChunkBitmap} from '../../src/protocol/chunk-map.js'
import {MAX_HAVE_CHUNKS} from '../../src/protocol/limits.js'
import type {GameManifest, Have, Message} from '../../src/protocol/messages.js'
import type {PeerConnection} from '../../src/transport/endpoint.js'

const HASH = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)

/** A view of `count` chunks whose verified set the test changes, announcing as the downloader does. */
function fakeView(count: number, verified: number[] = []) {
  const have = new Set(verified)
  const listeners = new Set<VerifiedListener>()
  const manifest = {type: 'GameManifest', id: 'g', manifest_hash: HASH, content_hash: HASH, chunk_size: 4, files: []} as unknown as GameManifest
  const view: DownloadView = {
    id: 'g',
    manifest,
    chunkCount: count,
    get verifiedCount() {
      return have.size
    },
    has: (index) => have.has(index),
    hasChunk: () => false,
    indexOf: () => undefined,
    verifiedIndexes: () => [...have].sort((a, b) => a - b),
    diskPath: (filePath) => filePath,
    onVerified: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  const land = (index: number) => {
    have.add(index)
    for (const listener of listeners) listener(index)
  }
  return {view, land}
}

/** A connection that only closes. */
function fakeConnection(): PeerConnection & {end(): void} {
  let end: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (end = resolve))
  return {closed, end} as unknown as PeerConnection & {end(): void}
}

function registry(batchMs = 20) {
  const sent: {peer: string; message: Have}[] = []
  const downloads = new RunningDownloads(async (_connection, message, peer) => void sent.push({peer, message}), {batchMs})
  return {downloads, sent}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('RunningDownloads', () => {
  it('answers GetChunkMap with the verified chunks, and refuses content it does not download', () => {
    const {downloads} = registry()
    const {view} = fakeView(20, [0, 3, 19])
    downloads.add(view)
    const map = downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p', fakeConnection())
    expect(map).toMatchObject({type: 'ChunkMap', id: 'g', content_hash: HASH, chunk_count: 20})
    expect(chunkIndexes(decodeChunkBitmap(map.bitmap, 20))).toEqual([0, 3, 19])
    expect(() => downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: OTHER}, 'p', fakeConnection())).toThrow(
      expect.objectContaining({code: 'not_downloaded'}),
    )
    expect(() => downloads.chunkMap({type: 'GetChunkMap', id: 'h', content_hash: HASH}, 'p', fakeConnection())).toThrow(
      expect.objectContaining({code: 'not_downloaded'}),
    )
    expect(downloads.get('g')).toBe(view)
  })

  it('announces new chunks to the peers that asked for the map, batched, and stops with the connection or the download', async () => {
    const {downloads, sent} = registry()
    const {view, land} = fakeView(10)
    const running = downloads.add(view)
    const first = fakeConnection()
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p1', first)
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p2', fakeConnection())
    land(1)
    land(2)
    expect(sent).toEqual([]) // not per chunk: once the batch window closes
    await sleep(60)
    expect(sent.map((s) => [s.peer, s.message.chunks])).toEqual([
      ['p1', [1, 2]],
      ['p2', [1, 2]],
    ])
    first.end()
    await sleep(0)
    land(5)
    await sleep(60)
    expect(sent.slice(2).map((s) => [s.peer, s.message.chunks])).toEqual([['p2', [5]]])
    running.end()
    land(6)
    await sleep(60)
    expect(sent).toHaveLength(3)
    expect(downloads.get('g')).toBeUndefined()
    expect(HAVE_BATCH_MS).toBeLessThanOrEqual(250)
  })

  it('sends a chunk after a quiet window at once, and the chunks after it once the window closed', async () => {
    const {downloads, sent} = registry(200)
    const {view, land} = fakeView(10)
    downloads.add(view)
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p1', fakeConnection())
    land(1)
    await sleep(40)
    expect(sent.map((s) => s.message.chunks)).toEqual([[1]])
    land(2)
    land(3)
    await sleep(40)
    expect(sent).toHaveLength(1) // within the window of the first batch: they wait for it to close
    await sleep(200)
    expect(sent.map((s) => s.message.chunks)).toEqual([[1], [2, 3]])
  })

  it('pushes a subscriber its Haves down its own stream, and ends that feed when it breaks, is replaced or the download ends', async () => {
    const {downloads, sent} = registry()
    const {view, land} = fakeView(10, [0])
    const running = downloads.add(view)
    const subscribe = {type: 'GetChunkMap' as const, id: 'g', content_hash: HASH, subscribe: true}
    const connection = fakeConnection()
    const first = await downloads.answer(subscribe, 'p1', connection)
    expect(chunkIndexes(decodeChunkBitmap(first.reply.bitmap, first.reply.chunk_count, 'p1'))).toEqual([0])
    land(1) // verified before the feed runs: it waits for the feed, it is not lost
    const pushed: Message[] = []
    let ended = false
    void first.feed!(async (message) => void pushed.push(message)).then(() => (ended = true))
    await sleep(60)
    land(2)
    await sleep(60)
    expect(pushed.map((m) => (m.type === 'Have' ? m.chunks : m.type))).toEqual([[1], [2]])
    expect(sent).toEqual([]) // nothing on streams of their own
    // Subscribing again (a rejoin) ends the first feed; the second one's push fails: it ends too.
    const second = await downloads.answer(subscribe, 'p1', connection)
    await sleep(0)
    expect(ended).toBe(true)
    let secondEnded = false
    let attempts = 0
    void second.feed!(async () => {
      attempts++
      throw new Error('stream reset')
    }).then(() => (secondEnded = true))
    land(3)
    land(4)
    await sleep(60)
    expect([attempts, secondEnded]).toEqual([1, true])
    // A third subscriber's feed ends with the download.
    const third = await downloads.answer(subscribe, 'p2', fakeConnection())
    const thirdEnded = third.feed!(async () => undefined).then(() => true)
    running.end()
    await expect(thirdEnded).resolves.toBe(true)
    expect(pushed).toHaveLength(2)
  })

  it('splits a large batch at MAX_HAVE_CHUNKS and bounds the followers', async () => {
    const {downloads, sent} = registry()
    const {view, land} = fakeView(MAX_HAVE_CHUNKS + 10)
    downloads.add(view)
    for (let i = 0; i < MAX_HAVE_FOLLOWERS; i++) downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, `p${i}`, fakeConnection())
    expect(() => downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'one-too-many', fakeConnection())).toThrow(
      expect.objectContaining({code: 'busy'}),
    )
    for (let i = 0; i < MAX_HAVE_CHUNKS + 10; i++) land(i)
    await sleep(60)
    const toFirst = sent.filter((s) => s.peer === 'p0').map((s) => s.message.chunks.length)
    expect(toFirst).toEqual([MAX_HAVE_CHUNKS, 10])
  })

  it('does not announce to a follower the chunks it announced to us', async () => {
    const {downloads, sent} = registry()
    const {view, land} = fakeView(10)
    downloads.add(view)
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p1', fakeConnection())
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p2', fakeConnection())
    downloads.have({type: 'Have', id: 'g', content_hash: HASH, chunks: [1, 3]}, 'p1')
    land(1)
    land(2)
    // p1 tells us of chunk 2 while our announcement of it still waits for the batch window.
    downloads.have({type: 'Have', id: 'g', content_hash: HASH, chunks: [2]}, 'p1')
    await sleep(60)
    expect(sent.map((s) => [s.peer, s.message.chunks])).toEqual([['p2', [1, 2]]])
    land(3)
    land(4)
    await sleep(60)
    expect(sent.slice(1).map((s) => [s.peer, s.message.chunks])).toEqual([
      ['p1', [4]],
      ['p2', [3, 4]],
    ])
    // p1 asks for the map again (it restarted its download): what it told us before no longer counts.
    const again = fakeConnection()
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p3', again)
    downloads.have({type: 'Have', id: 'g', content_hash: HASH, chunks: [6]}, 'p3')
    downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p3', again)
    land(6)
    await sleep(60)
    expect(sent.slice(3).map((s) => [s.peer, s.message.chunks])).toEqual([
      ['p1', [6]],
      ['p2', [6]],
      ['p3', [6]],
    ])
  })

  it('sends a failed Have again with the next batch, and lets a follower go after three failures in a row', async () => {
    const sent: {peer: string; chunks: number[]}[] = []
    const failFor = new Map([
      ['flaky', 1],
      ['gone', 99],
    ])
    const downloads = new RunningDownloads(
      async (_connection, message, peer) => {
        const left = failFor.get(peer) ?? 0
        if (left > 0) {
          failFor.set(peer, left - 1)
          throw new Error(`${peer} did not take the Have`)
        }
        sent.push({peer, chunks: message.chunks})
      },
      {batchMs: 20},
    )
    const {view, land} = fakeView(10)
    downloads.add(view)
    for (const peer of ['flaky', 'gone']) downloads.chunkMap({type: 'GetChunkMap', id: 'g', content_hash: HASH}, peer, fakeConnection())
    land(1)
    await sleep(150) // the first send fails, the retry goes with the next batch window
    expect(sent).toEqual([{peer: 'flaky', chunks: [1]}])
    land(2)
    await sleep(150)
    // 'gone' failed three times in a row: no longer asked; 'flaky' gets the rest.
    expect(sent).toEqual([
      {peer: 'flaky', chunks: [1]},
      {peer: 'flaky', chunks: [2]},
    ])
    expect(failFor.get('gone')).toBe(96)
  })

  it('hands a Have to the download of that content, checks its indexes, and ignores one for anything else', () => {
    const {downloads} = registry()
    const {view} = fakeView(8)
    const running = downloads.add(view)
    const told: [string, readonly number[]][] = []
    running.onHave((peer, chunks) => told.push([peer, chunks]))
    downloads.have({type: 'Have', id: 'g', content_hash: HASH, chunks: [1, 7]}, 'p')
    downloads.have({type: 'Have', id: 'g', content_hash: OTHER, chunks: [2]}, 'p')
    downloads.have({type: 'Have', id: 'h', content_hash: HASH, chunks: [2]}, 'p')
    expect(told).toEqual([['p', [1, 7]]])
    expect(() => downloads.have({type: 'Have', id: 'g', content_hash: HASH, chunks: [8]}, 'p')).toThrow(expect.objectContaining({code: 'protocol'}))
  })

  it('answers a GetChunkMap that came while its announced download was planning as soon as it registers', async () => {
    let announced = true
    const downloads = new RunningDownloads(async () => undefined, {announced: (id, content) => announced && id === 'g' && content === HASH, planWaitMs: 1_000})
    const {view} = fakeView(8, [3])
    const asked = performance.now()
    const answer = downloads.answer({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p', fakeConnection())
    await sleep(50)
    downloads.add(view)
    const map = (await answer).reply
    expect(performance.now() - asked).toBeLessThan(900)
    expect(chunkIndexes(decodeChunkBitmap(map.bitmap, map.chunk_count, 'p'))).toEqual([3])
    // Not announced (another content, or no download): refused at once, without waiting.
    announced = false
    const refusedAt = performance.now()
    await expect(downloads.answer({type: 'GetChunkMap', id: 'h', content_hash: HASH}, 'p', fakeConnection())).rejects.toMatchObject({code: 'not_downloaded'})
    expect(performance.now() - refusedAt).toBeLessThan(500)
  })

  it('lets one peer wait once per game: its second GetChunkMap meanwhile is refused at once', async () => {
    const downloads = new RunningDownloads(async () => undefined, {announced: () => true, planWaitMs: 1_000})
    const first = downloads.answer({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p', fakeConnection())
    const asked = performance.now()
    await expect(downloads.answer({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p', fakeConnection())).rejects.toMatchObject({code: 'not_downloaded'})
    expect(performance.now() - asked).toBeLessThan(500)
    downloads.add(fakeView(4).view)
    await expect(first).resolves.toMatchObject({reply: {type: 'ChunkMap', chunk_count: 4}})
  })

  it('refuses a GetChunkMap whose announced download does not register within the wait', async () => {
    const downloads = new RunningDownloads(async () => undefined, {announced: () => true, planWaitMs: 60})
    const asked = performance.now()
    await expect(downloads.answer({type: 'GetChunkMap', id: 'g', content_hash: HASH}, 'p', fakeConnection())).rejects.toMatchObject({code: 'not_downloaded'})
    expect(performance.now() - asked).toBeGreaterThanOrEqual(50)
  })
})
