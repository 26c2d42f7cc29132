// BulkTlsGameSource's per-source fallback (SPEC §4.5): a bulk port that refuses or stalls sends
// every chunk to QUIC from then on; a peer's refusal of one request does not.
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BulkTlsGameSource} from '../../src/download/bulk-tls-game-source.js'
import type {ChunkRequest} from '../../src/download/game-source.js'
import {connectBulk} from '../../src/transport/bulk-tls-client.js'
import {type Identities, MANIFEST_HASH, SERVER_PEER, makeIdentities, startBulkServer} from '../helpers/bulk-tls.js'
import {lanspreadRejection} from '../helpers/rejection.js'

const DATA = Buffer.alloc(1024 * 1024, 3)
const ask = (offset: number, path = 'data.bin'): ChunkRequest => ({id: 'quake3', manifest_hash: MANIFEST_HASH, path, offset, length: 1024})

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids.cleanup())

/** A source over `port` whose fallback answers every chunk with zeros, counting what it got. */
function fallingBack(port: number, settings = {}) {
  const state = {connects: 0, viaFallback: [] as number[], reasons: [] as string[]}
  const source = new BulkTlsGameSource(
    {
      peerId: SERVER_PEER,
      host: '127.0.0.1',
      port,
      expectedFingerprint: ids.server.fingerprint,
      certificate: ids.client,
      control: {getGame: async () => 'not_modified'},
      fallback: {
        maxInFlight: 2,
        getChunk: async (request) => {
          state.viaFallback.push(request.offset)
          return {hash: 'fallback', bytes: Buffer.alloc(request.length)}
        },
      },
      onFallback: (reason) => state.reasons.push(reason),
      settings,
    },
    {
      connect: (host, p, options) => {
        state.connects++
        return connectBulk(host, p, options)
      },
    },
  )
  return {source, state}
}

/** A TCP port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('BulkTlsGameSource fallback to QUIC', () => {
  it('sends every chunk to the fallback once the bulk port refuses, without dialling it again', async () => {
    const {source, state} = await fallingBack(await closedPort())
    expect(source.transport).toEqual({transport: 'bulk-tls'})
    expect(source.maxInFlight).toBeUndefined()
    const replies = await Promise.all([0, 1, 2, 3, 4].map((i) => source.getChunk(ask(i * 1024))))
    expect(replies.every((reply) => reply.hash === 'fallback')).toBe(true)
    expect(state.viaFallback.sort((a, b) => a - b)).toEqual([0, 1024, 2048, 3072, 4096])
    // At most the two connections opened at once were tried; the waiters went to QUIC.
    expect(state.connects).toBeLessThanOrEqual(2)
    await source.getChunk(ask(5 * 1024))
    expect(state.connects).toBeLessThanOrEqual(2)
    expect(state.reasons).toHaveLength(1)
    expect(state.reasons[0]).toMatch(/ECONNREFUSED/)
    expect(source.transport).toEqual({transport: 'quic', fallback_reason: state.reasons[0]})
    expect(source.maxInFlight).toBe(2)
    await source.close()
  })

  it('falls back when a new connection sends no reply byte in time', async () => {
    const {port} = await startBulkServer(ids, {handler: () => new Promise(() => undefined), settings: {closeGraceMs: 100}})
    const {source, state} = await fallingBack(port, {replyTimeoutMs: 300})
    const reply = await source.getChunk(ask(0))
    expect(reply.hash).toBe('fallback')
    expect(state.reasons[0]).toMatch(/no reply byte within 300 ms on its bulk port/)
    await source.close()
  })

  it('makes do with the connections it has when the server takes no more from this address', async () => {
    const {port} = await startBulkServer(ids, {data: DATA, settings: {maxConnectionsPerAddress: 1}})
    const {source, state} = await fallingBack(port)
    const replies = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => source.getChunk(ask(i * 1024))))
    replies.forEach((reply, i) => expect(Buffer.compare(reply.bytes, DATA.subarray(i * 1024, (i + 1) * 1024))).toBe(0))
    expect(state.viaFallback).toEqual([])
    expect(source.transport).toEqual({transport: 'bulk-tls'})
    expect(source.connectionCount()).toBe(1)
    await source.close()
  })

  it('keeps bulk TLS after a refusal of one request, and on a port that works', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const {source, state} = await fallingBack(port, {replyTimeoutMs: 300})
    const error = await lanspreadRejection(source.getChunk(ask(0, 'missing.bin')))
    expect(error.code).toBe('not_found')
    const reply = await source.getChunk(ask(2048))
    expect(Buffer.compare(reply.bytes, DATA.subarray(2048, 3072))).toBe(0)
    expect(state.viaFallback).toEqual([])
    expect(source.transport).toEqual({transport: 'bulk-tls'})
    await source.close()
  })
})
