// The swarm feed (SPEC §5.1) keeps a download's sources in step with the peers: here, a member
// whose connection closes leaves, and joins again over the peer's next connection; a partial
// peer's Haves come down its GetChunkMap stream, and one that breaks it leaves and is asked again.
import {EventEmitter} from 'node:events'
import {describe, expect, it, vi} from 'vitest'
import type {SwarmSources} from '../../src/download/chunk-scheduler.js'
import type {GameSource} from '../../src/download/game-source.js'
import type {FetchRuntime} from '../../src/peer/runtime-view.js'
import {SwarmFeed} from '../../src/peer/swarm/swarm-feed.js'
import type {RunningDownload} from '../../src/peer/swarm/running-downloads.js'
import {addChunk, emptyChunkBitmap, encodeChunkBitmap} from '../../src/protocol/chunk-map.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import type {Have, Message} from '../../src/protocol/messages.js'
import type {ByteStream, PeerConnection} from '../../src/transport/endpoint.js'

const MANIFEST = 'a'.repeat(64)
const CONTENT = 'b'.repeat(64)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function closable(): {connection: PeerConnection; close(): void} {
  let close: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (close = resolve))
  return {connection: {closed} as unknown as PeerConnection, close}
}

/** A feed of game g whose one peer, p, holds it ready; `connect` sets (or clears) p's connection. */
function seedFeed(initial: PeerConnection | undefined) {
  const record = {peer_id: 'p', library: new Map([['g', {id: 'g', availability: 'ready', manifest_hash: MANIFEST}]])}
  let current = initial
  const table = Object.assign(new EventEmitter(), {records: () => [record], get: (id: string) => (id === 'p' ? record : undefined)})
  const sessions = Object.assign(new EventEmitter(), {connectionOf: () => current})
  const logged: string[] = []
  const runtime = {table, sessions, settings: {requestTimeoutMs: 1_000}, log: (_level: string, line: string) => logged.push(line)} as unknown as FetchRuntime
  const joined: string[] = []
  const swarm = {
    join: vi.fn((source: GameSource) => (joined.push(source.peerId), true)),
    leave: vi.fn(),
    have: vi.fn(),
    isDropped: () => false,
    kindOf: () => undefined,
  } as unknown as SwarmSources
  const download = {
    view: {id: 'g', manifest: {manifest_hash: MANIFEST, content_hash: CONTENT}, chunkCount: 4},
    onHave: () => undefined,
  } as unknown as RunningDownload
  const sourceFor = () => ({peerId: 'p', getGame: async () => 'not_modified', close: vi.fn()}) as unknown as GameSource
  const feed = new SwarmFeed({runtime, id: 'g', download, swarm, started: new Map(), sourceFor})
  return {feed, swarm, joined, logged, connect: (connection: PeerConnection | undefined) => void (current = connection)}
}

describe('SwarmFeed', () => {
  it('takes a member whose connection closed back once its peer has a new connection', async () => {
    const first = closable()
    const {feed, swarm, joined, logged, connect} = seedFeed(first.connection)
    feed.start()
    await sleep(20)
    expect(joined).toEqual(['p'])
    // The connection closes (two peers that dialled each other at once keep one): no other yet.
    connect(undefined)
    first.close()
    await sleep(20)
    expect(swarm.leave).toHaveBeenCalledWith('p')
    expect(logged.some((line) => line.includes('left the download of game g: its connection closed'))).toBe(true)
    await sleep(300)
    expect(joined).toEqual(['p']) // no connection to join over yet: asked again later
    connect(closable().connection)
    await sleep(700)
    expect(joined).toEqual(['p', 'p'])
    feed.stop()
  })

  it('joins a peer that had no connection when it first offered the game, once it has one, with no library change', async () => {
    const {feed, joined, connect} = seedFeed(undefined)
    feed.start() // its connection is being replaced this moment
    await sleep(100)
    expect(joined).toEqual([])
    connect(closable().connection)
    await sleep(800)
    expect(joined).toEqual(['p'])
    feed.stop()
  })

  it("takes a partial peer's Haves from its GetChunkMap stream, and lets it go and asks again when that stream breaks", async () => {
    const record = {peer_id: 'p', library: new Map([['g', {id: 'g', availability: 'downloading', manifest_hash: MANIFEST, content_hash: CONTENT}]])}
    const opened: {asked: Message[]; push(message: Message): void; fail(error: Error): void}[] = []
    const connection = {
      closed: new Promise<void>(() => undefined),
      openStream: async (): Promise<ByteStream> => {
        let controller!: ReadableStreamDefaultController<Uint8Array>
        const asked: Message[] = []
        const readable = new ReadableStream<Uint8Array>({start: (c) => void (controller = c)})
        const writable = new WritableStream<Uint8Array>({write: (bytes) => void asked.push(JSON.parse(Buffer.from(bytes).subarray(4).toString()) as Message)})
        opened.push({asked, push: (message) => controller.enqueue(encodeFrame(message)), fail: (error) => controller.error(error)})
        return {readable, writable, cancel: () => undefined}
      },
    } as unknown as PeerConnection
    const table = Object.assign(new EventEmitter(), {records: () => [record], get: (id: string) => (id === 'p' ? record : undefined)})
    const sessions = Object.assign(new EventEmitter(), {connectionOf: () => connection})
    const logged: string[] = []
    const runtime = {table, sessions, settings: {requestTimeoutMs: 1_000}, log: (_level: string, line: string) => logged.push(line)} as unknown as FetchRuntime
    const joins: [string, unknown[]][] = []
    const swarm = {
      join: vi.fn((source: GameSource, kind: string, have: Iterable<number>) => (joins.push([kind, [...have]]), true)),
      leave: vi.fn(),
      have: vi.fn(),
      isDropped: () => false,
      kindOf: () => undefined,
    } as unknown as SwarmSources
    const haves: Have[] = []
    const download = {
      view: {id: 'g', manifest: {manifest_hash: MANIFEST, content_hash: CONTENT}, chunkCount: 4},
      onHave: () => undefined,
      have: (message: Have) => void haves.push(message),
    } as unknown as RunningDownload
    const sourceFor = () => ({peerId: 'p', close: vi.fn()}) as unknown as GameSource
    const feed = new SwarmFeed({runtime, id: 'g', download, swarm, started: new Map(), sourceFor})
    feed.start()
    await sleep(20)
    expect(opened).toHaveLength(1)
    expect(opened[0]!.asked).toEqual([{type: 'GetChunkMap', id: 'g', content_hash: CONTENT, subscribe: true}])
    const bitmap = emptyChunkBitmap(4)
    addChunk(bitmap, 2)
    opened[0]!.push({type: 'ChunkMap', id: 'g', content_hash: CONTENT, chunk_count: 4, bitmap: encodeChunkBitmap(bitmap, 4)})
    await sleep(20)
    expect(joins).toEqual([['partial', [2]]])
    opened[0]!.push({type: 'Have', id: 'g', content_hash: CONTENT, chunks: [0, 3]})
    await sleep(20)
    expect(haves.map((have) => have.chunks)).toEqual([[0, 3]])
    // Something other than a Have on the stream: the peer leaves, and is asked again 250 ms on.
    opened[0]!.push({type: 'Pong'})
    await sleep(20)
    expect(swarm.leave).toHaveBeenCalledWith('p')
    expect(logged.some((line) => line.includes('left the download of game g: its Haves stopped'))).toBe(true)
    await sleep(400)
    expect(opened).toHaveLength(2)
    feed.stop()
  })
})
