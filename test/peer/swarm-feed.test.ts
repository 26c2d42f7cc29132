// The swarm feed (SPEC §5.1) keeps a download's sources in step with the peers: here, a member
// whose connection closes leaves, and joins again over the peer's next connection.
import {EventEmitter} from 'node:events'
import {describe, expect, it, vi} from 'vitest'
import type {SwarmSources} from '../../src/download/chunk-scheduler.js'
import type {GameSource} from '../../src/download/game-source.js'
import type {FetchRuntime} from '../../src/peer/runtime-view.js'
import {SwarmFeed} from '../../src/peer/swarm/swarm-feed.js'
import type {RunningDownload} from '../../src/peer/swarm/running-downloads.js'
import type {PeerConnection} from '../../src/transport/endpoint.js'

const MANIFEST = 'a'.repeat(64)
const CONTENT = 'b'.repeat(64)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function closable(): {connection: PeerConnection; close(): void} {
  let close: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (close = resolve))
  return {connection: {closed} as unknown as PeerConnection, close}
}

describe('SwarmFeed', () => {
  it('takes a member whose connection closed back once its peer has a new connection', async () => {
    const record = {peer_id: 'p', library: new Map([['g', {id: 'g', availability: 'ready', manifest_hash: MANIFEST}]])}
    const first = closable()
    let current: PeerConnection | undefined = first.connection
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
    feed.start()
    await sleep(20)
    expect(joined).toEqual(['p'])
    // The connection closes (two peers that dialled each other at once keep one): no other yet.
    current = undefined
    first.close()
    await sleep(20)
    expect(swarm.leave).toHaveBeenCalledWith('p')
    expect(logged.some((line) => line.includes('left the download of game g: its connection closed'))).toBe(true)
    await sleep(300)
    expect(joined).toEqual(['p']) // no connection to join over yet: asked again later
    current = closable().connection
    await sleep(700)
    expect(joined).toEqual(['p', 'p'])
    feed.stop()
  })
})
