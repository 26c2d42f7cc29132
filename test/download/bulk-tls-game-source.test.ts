import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BulkTlsGameSource, type BulkTlsGameSourceInit} from '../../src/download/bulk-tls-game-source.js'
import {LanspreadError} from '../../src/errors.js'
import type {GameManifest} from '../../src/protocol/messages.js'
import {connectBulk} from '../../src/transport/bulk-tls-client.js'
import {ChunkBufferPool} from '../../src/util/chunk-buffer-pool.js'
import {type Identities, MANIFEST_HASH, SERVER_PEER, makeIdentities, memoryHandler, sha256Hex, startBulkServer} from '../helpers/bulk-tls.js'

const MiB = 1024 * 1024
const DATA = randomBytes(8 * MiB)
const ask = (offset: number, length: number) => ({id: 'quake3', manifest_hash: MANIFEST_HASH, path: 'data.bin', offset, length})

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids.cleanup())

function source(port: number, overrides: Partial<BulkTlsGameSourceInit> = {}, connects = {count: 0}): BulkTlsGameSource {
  return new BulkTlsGameSource(
    {
      peerId: SERVER_PEER,
      host: '127.0.0.1',
      port,
      expectedFingerprint: ids.server.fingerprint,
      certificate: ids.client,
      control: {getGame: async () => 'not_modified'},
      ...overrides,
    },
    {
      connect: (host, p, options) => {
        connects.count++
        return connectBulk(host, p, options)
      },
    },
  )
}

describe('BulkTlsGameSource', () => {
  it('spreads parallel requests over at most maxConnections connections and reuses them', async () => {
    let inFlight = 0
    let most = 0
    const inner = memoryHandler(DATA)
    const {port, server} = await startBulkServer(ids, {
      handler: async (request, peerId) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 20))
        inFlight--
        return inner(request, peerId)
      },
    })
    const connects = {count: 0}
    const bulk = source(port, {maxConnections: 3}, connects)
    const requests = Array.from({length: 12}, (_, i) => ask(i * 512 * 1024, 512 * 1024))
    const replies = await Promise.all(requests.map((r) => bulk.getChunk(r)))
    replies.forEach((reply, i) => {
      const expected = DATA.subarray(i * 512 * 1024, (i + 1) * 512 * 1024)
      expect(reply.hash).toBe(sha256Hex(expected))
      expect(Buffer.compare(reply.bytes, expected)).toBe(0)
    })
    expect(most).toBe(3)
    expect(connects.count).toBe(3)
    expect(bulk.connectionCount()).toBe(3)
    await bulk.getChunk(ask(0, 10))
    expect(connects.count).toBe(3)
    await bulk.close()
    expect(bulk.connectionCount()).toBe(0)
    await expect(bulk.getChunk(ask(0, 10))).rejects.toThrow(/is closed/)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.servedCount()).toBe(0)
  })

  it('asks GetGame through the control fallback, not over bulk', async () => {
    const {port, calls} = await startBulkServer(ids, {data: DATA})
    const manifest = {type: 'GameManifest', id: 'quake3'} as unknown as GameManifest
    const asked: unknown[] = []
    const bulk = source(port, {control: {getGame: async (id, contentHash) => (asked.push([id, contentHash]), manifest)}})
    expect(await bulk.getGame('quake3', 'd'.repeat(64))).toBe(manifest)
    expect(asked).toEqual([['quake3', 'd'.repeat(64)]])
    expect(calls).toEqual([])
    expect(bulk.connectionCount()).toBe(0)
  })

  it('refuses a source whose certificate is not the pin, for good, without connecting again', async () => {
    const {port, calls} = await startBulkServer(ids, {data: DATA})
    const connects = {count: 0}
    const bulk = source(port, {expectedFingerprint: ids.stranger.fingerprint, maxConnections: 2}, connects)
    const errors = await Promise.all([0, 1, 2, 3].map((i) => bulk.getChunk(ask(i, 1)).catch((e: unknown) => e)))
    for (const error of errors) expect((error as LanspreadError).code).toBe('integrity')
    const before = connects.count
    expect(before).toBeLessThanOrEqual(2)
    await expect(bulk.getChunk(ask(0, 1))).rejects.toMatchObject({code: 'integrity'})
    expect(connects.count).toBe(before)
    expect(calls).toEqual([])
    await bulk.close()
  })

  it('opens one connection ahead of the first request when warmed, and the request uses it', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const connects = {count: 0}
    const bulk = source(port, {maxConnections: 2}, connects)
    bulk.warm()
    bulk.warm() // one is being opened already: no second
    for (let tries = 0; tries < 100 && bulk.connectionCount() === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(bulk.connectionCount()).toBe(1)
    expect(connects.count).toBe(1)
    const reply = await bulk.getChunk(ask(0, 1024))
    expect(Buffer.compare(reply.bytes, DATA.subarray(0, 1024))).toBe(0)
    expect(connects.count).toBe(1)
    await bulk.close()
    bulk.warm()
    expect(connects.count).toBe(1)
  })

  it('sends the chunks over QUIC when the warm-up finds the bulk port unusable, as a failed first request would', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const fallen: string[] = []
    const fallback = {getChunk: async () => ({hash: 'from-quic', bytes: new Uint8Array(1)})}
    const bulk = source(port, {expectedFingerprint: ids.stranger.fingerprint, fallback, onFallback: (reason) => fallen.push(reason)})
    bulk.warm()
    const reply = await bulk.getChunk(ask(0, 1))
    expect(reply.hash).toBe('from-quic')
    expect(fallen).toHaveLength(1)
    await bulk.close()
  })

  it('replaces a pooled connection that the server closed while idle', async () => {
    const {port} = await startBulkServer(ids, {data: DATA, settings: {idleTimeoutMs: 150}})
    const connects = {count: 0}
    const bulk = source(port, {maxConnections: 1}, connects)
    await bulk.getChunk(ask(0, 10))
    await new Promise((resolve) => setTimeout(resolve, 400))
    const {bytes} = await bulk.getChunk(ask(10, 10))
    expect(Buffer.compare(bytes, DATA.subarray(10, 20))).toBe(0)
    expect(connects.count).toBe(2)
    await bulk.close()
  })

  it('keeps a connection after an Error reply and frees the slot of one that failed', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const connects = {count: 0}
    const bulk = source(port, {maxConnections: 1}, connects)
    await expect(bulk.getChunk({...ask(0, 10), path: 'missing'})).rejects.toMatchObject({code: 'not_found'})
    expect((await bulk.getChunk(ask(0, 10))).bytes.length).toBe(10)
    expect(connects.count).toBe(1)
    // Past the end of the data: the handler answers a short chunk, the client calls it a violation.
    await expect(bulk.getChunk(ask(DATA.length - 5, 10))).rejects.toMatchObject({code: 'protocol'})
    expect(bulk.connectionCount()).toBe(0)
    expect((await bulk.getChunk(ask(0, 10))).bytes.length).toBe(10)
    expect(connects.count).toBe(2)
    await bulk.close()
  })

  it("gives a refused request's buffer back, but never reuses the buffer of a request whose connection failed", async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const buffers = new ChunkBufferPool(1 * MiB)
    const bulk = source(port, {maxConnections: 1, buffers})
    await expect(bulk.getChunk({...ask(0, 10), path: 'missing'})).rejects.toMatchObject({code: 'not_found'})
    expect(buffers.freeCount()).toBe(1)
    // A short reply fails the connection: had it failed inside the chunk, its TLS layer could still point into the buffer.
    await expect(bulk.getChunk(ask(DATA.length - 5, 10))).rejects.toMatchObject({code: 'protocol'})
    expect(buffers.freeCount()).toBe(0)
    const reply = await bulk.getChunk(ask(0, 10))
    reply.release?.()
    expect(buffers.freeCount()).toBe(1)
    await bulk.close()
  })
})
