import {randomBytes} from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {ChunkBufferPool} from '../../src/util/chunk-buffer-pool.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import {FRAME_ROOM} from '../../src/serving/chunk-reply.js'
import {connectBulk} from '../../src/transport/bulk-tls-client.js'
import {type BulkRequestHandler, identifyFromPins} from '../../src/transport/bulk-tls-server.js'
import {PinStore, pinsDirFor} from '../../src/transport/pins.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {makeTempDir} from '../helpers/temp-library.js'
import {
  CLIENT_PEER,
  type Identities,
  MANIFEST_HASH,
  SERVER_PEER,
  framesIn,
  makeIdentities,
  memoryHandler,
  rawTlsClient,
  readUntilClosed,
  sha256Hex,
  startBulkServer,
} from '../helpers/bulk-tls.js'
import {lanspreadRejection} from '../helpers/rejection.js'

const MiB = 1024 * 1024
const OTHER_PEER = '33333333-3333-4333-8333-333333333333'
const DATA = randomBytes(24 * MiB)
const ask = (offset: number, length: number, path = 'data.bin') => ({id: 'quake3', manifest_hash: MANIFEST_HASH, path, offset, length})

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids.cleanup())

failOnEscapedErrors()

function connectAs(port: number, identity = ids.client, expectedFingerprint = ids.server.fingerprint, settings = {}) {
  return connectBulk('127.0.0.1', port, {expectedFingerprint, certificate: identity, peerId: SERVER_PEER, settings})
}

const refusal = lanspreadRejection

describe('bulk TLS', () => {
  it('answers GetChunk requests in sequence on one connection, each chunk whole with its header', async () => {
    const {port, calls, server} = await startBulkServer(ids, {data: DATA})
    const connection = await connectAs(port)
    const requests = [ask(0, 4 * MiB), ask(4 * MiB, 4 * MiB), ask(20 * MiB, 1), ask(8 * MiB, 16 * MiB)]
    for (const request of requests) {
      const {header, bytes} = await connection.getChunk(request)
      const expected = DATA.subarray(request.offset, request.offset + request.length)
      expect(header).toEqual({type: 'ChunkHeader', hash: sha256Hex(expected), length: request.length})
      expect(Buffer.compare(bytes, expected)).toBe(0)
    }
    expect(calls).toEqual(requests.map((r) => ({type: 'GetChunk', ...r})))
    expect(server.servedCount()).toBe(1)
    await connection.close()
  })

  it('builds one TLS context per certificate, however many connections it opens, and still shows it to the server', async () => {
    const {port, calls} = await startBulkServer(ids, {data: DATA})
    const identity = {...ids.client}
    const built = vi.spyOn(tls, 'createSecureContext')
    try {
      const connections = await Promise.all([connectAs(port, identity), connectAs(port, identity), connectAs(port, identity)])
      // The server served each: it knew the client by the certificate it showed.
      for (const connection of connections) expect((await connection.getChunk(ask(0, 16))).header.length).toBe(16)
      expect(calls).toHaveLength(3)
      expect(built).toHaveBeenCalledTimes(1)
      await Promise.all(connections.map((connection) => connection.close()))
    } finally {
      built.mockRestore()
    }
  })

  it('reads a chunk into the buffer it is given, when given one', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const connection = await connectAs(port)
    const into = Buffer.alloc(8 * MiB)
    const {bytes} = await connection.getChunk(ask(4 * MiB, 4 * MiB), into)
    expect(bytes.buffer).toBe(into.buffer)
    expect(Buffer.compare(bytes, DATA.subarray(4 * MiB, 8 * MiB))).toBe(0)
    // A buffer too small is not used.
    const small = Buffer.alloc(1024)
    const other = await connection.getChunk(ask(0, 2 * MiB), small)
    expect(other.bytes.buffer).not.toBe(small.buffer)
    expect(Buffer.compare(other.bytes, DATA.subarray(0, 2 * MiB))).toBe(0)
    await connection.close()
  })

  it('queues concurrent requests on one connection instead of mixing their bytes', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const connection = await connectAs(port)
    const requests = [0, 1, 2, 3, 4].map((i) => ask(i * 3 * MiB, 3 * MiB))
    const answers = await Promise.all(requests.map((r) => connection.getChunk(r)))
    answers.forEach((answer, i) => expect(Buffer.compare(answer.bytes, DATA.subarray(i * 3 * MiB, (i + 1) * 3 * MiB))).toBe(0))
    await connection.close()
  })

  it('refuses a server whose certificate is not the one pinned for the peer, before asking anything', async () => {
    const {port, calls} = await startBulkServer(ids, {data: DATA})
    const error = await refusal(connectAs(port, ids.client, ids.stranger.fingerprint))
    expect(error.code).toBe('integrity')
    expect(error.message).toContain(`peer ${SERVER_PEER}`)
    expect(error.message).toContain('not the certificate pinned')
    expect(error.message).toContain(ids.server.fingerprint.slice(0, 16))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(calls).toEqual([])
  })

  it('serves nothing to a client whose certificate is pinned to no peer, or that shows none', async () => {
    const {port, calls, logs} = await startBulkServer(ids, {data: DATA})
    const stranger = await connectAs(port, ids.stranger)
    const error = await refusal(stranger.getChunk(ask(0, MiB)))
    expect(error.code).toBe('io')
    expect(stranger.usable).toBe(false)

    const anonymous = await rawTlsClient(port)
    anonymous.write(encodeFrame({type: 'GetChunk', ...ask(0, MiB)}))
    const {bytes, closed} = await readUntilClosed(anonymous, 5_000)
    expect(closed).toBe(true)
    expect(bytes.length).toBe(0)
    expect(calls).toEqual([])
    expect(logs.some((line) => line.includes('pinned to no peer'))).toBe(true)
  })

  it('identifies clients by the pin store: a pinned peer is served under its peer_id, a stranger is not', async () => {
    const pins = new PinStore(pinsDirFor(await makeTempDir()))
    await pins.pin(CLIENT_PEER, ids.client.fingerprint)
    await pins.pin(OTHER_PEER, ids.server.fingerprint)
    const inner = memoryHandler(DATA)
    const peers: string[] = []
    const {port} = await startBulkServer(ids, {identify: identifyFromPins(pins), handler: (request, peerId) => (peers.push(peerId), inner(request, peerId))})
    const pinned = await connectAs(port)
    expect((await pinned.getChunk(ask(0, 10))).bytes.length).toBe(10)
    const stranger = await connectAs(port, ids.stranger)
    await expect(stranger.getChunk(ask(0, 10))).rejects.toMatchObject({code: 'io'})
    expect(peers).toEqual([CLIENT_PEER])
    await pinned.close()
  })

  it('closes a connection whose identification never finishes, after the idle timeout', async () => {
    const {port, calls, server} = await startBulkServer(ids, {data: DATA, identify: () => new Promise(() => undefined), settings: {idleTimeoutMs: 300}})
    const socket = await rawTlsClient(port, {identity: ids.client})
    socket.write(encodeFrame({type: 'GetChunk', ...ask(0, 10)}))
    const {bytes, closed} = await readUntilClosed(socket, 3_000)
    expect([closed, bytes.length, calls.length, server.servedCount()]).toEqual([true, 0, 0, 0])
  })

  it('serves nothing to a pinned client that does not offer the bulk ALPN', async () => {
    const {port, calls} = await startBulkServer(ids, {data: DATA})
    const socket = await rawTlsClient(port, {identity: ids.client, alpn: false})
    socket.write(encodeFrame({type: 'GetChunk', ...ask(0, MiB)}))
    const {bytes, closed} = await readUntilClosed(socket, 5_000)
    expect([closed, bytes.length, calls.length]).toEqual([true, 0, 0])
  })

  it('turns Error replies into LanspreadErrors and keeps the connection usable', async () => {
    const {port, logs} = await startBulkServer(ids, {data: DATA})
    const connection = await connectAs(port)
    const notFound = await refusal(connection.getChunk(ask(0, 10, 'missing')))
    expect(notFound.code).toBe('not_found')
    expect(notFound.message).toContain(`peer ${SERVER_PEER}`)
    expect(notFound.message).toContain('no file missing in game quake3')
    const internal = await refusal(connection.getChunk(ask(0, 10, 'boom')))
    expect(internal.code).toBe('internal')
    expect(internal.message).not.toContain('/secret/local/path')
    expect(logs.some((line) => line.includes('/secret/local/path exploded'))).toBe(true)
    expect(connection.usable).toBe(true)
    const {bytes} = await connection.getChunk(ask(100, 10))
    expect(Buffer.compare(bytes, DATA.subarray(100, 110))).toBe(0)
    await connection.close()
  })

  it('writes framed replies as they are and lets their buffer be reused only after the socket is done with it', async () => {
    const pool = new ChunkBufferPool(FRAME_ROOM + 4 * MiB, 1)
    const leased = new Set<ArrayBufferLike>()
    let handedTwice = false
    const handler: BulkRequestHandler = async (request, _peerId, plane) => {
      if (request.type !== 'GetChunk' || !plane?.framed) throw new Error('expected a GetChunk asked for framed')
      const lease = pool.take(FRAME_ROOM + request.length)
      if (leased.has(lease.buffer.buffer)) handedTwice = true
      leased.add(lease.buffer.buffer)
      const raw = lease.buffer.subarray(FRAME_ROOM, FRAME_ROOM + request.length)
      raw.set(DATA.subarray(request.offset, request.offset + request.length))
      const reply = {type: 'ChunkHeader' as const, hash: sha256Hex(raw), length: request.length}
      const frame = encodeFrame(reply)
      lease.buffer.set(frame, FRAME_ROOM - frame.length)
      const framed = lease.buffer.subarray(FRAME_ROOM - frame.length, FRAME_ROOM + request.length)
      // Whoever takes the buffer next overwrites it at once: a byte the socket still needed would arrive as 0xee.
      return {reply, raw, framed, release: () => (leased.delete(lease.buffer.buffer), lease.buffer.fill(0xee), lease.release())}
    }
    const {port} = await startBulkServer(ids, {handler})
    const connections = await Promise.all([0, 1, 2].map(() => connectAs(port)))
    await Promise.all(
      connections.map(async (connection, c) => {
        for (let i = 0; i < 6; i++) {
          const offset = ((c * 6 + i) % 20) * MiB
          const {header, bytes} = await connection.getChunk(ask(offset, 4 * MiB))
          expect(header.hash).toBe(sha256Hex(DATA.subarray(offset, offset + 4 * MiB)))
          expect(Buffer.compare(bytes, DATA.subarray(offset, offset + 4 * MiB))).toBe(0)
        }
      }),
    )
    expect(handedTwice).toBe(false)
    expect(leased.size).toBe(0)
    expect(pool.freeCount()).toBe(1)
    await Promise.all(connections.map((connection) => connection.close()))

    // A framed reply that is not its frame followed by its bytes is refused, not written.
    const broken = await startBulkServer(ids, {
      handler: async () => ({reply: {type: 'ChunkHeader', hash: 'a'.repeat(64), length: 3}, raw: new Uint8Array(3), framed: new Uint8Array(10)}),
    })
    const connection = await connectAs(broken.port)
    expect(await refusal(connection.getChunk(ask(0, 3)))).toMatchObject({code: 'internal', message: expect.stringContaining('framed reply')})
    await connection.close()
  })

  it('refuses a reply whose chunk length differs from the request (the handler is checked too)', async () => {
    const {port} = await startBulkServer(ids, {
      handler: async () => ({reply: {type: 'ChunkHeader', hash: 'a'.repeat(64), length: 5}, raw: new Uint8Array(3)}),
    })
    const connection = await connectAs(port)
    const error = await refusal(connection.getChunk(ask(0, 5)))
    expect(error.code).toBe('internal')
    expect(error.message).toContain('announces 5 raw bytes but carries 3')
    await connection.close()

    const short = await startBulkServer(ids, {
      handler: async () => ({reply: {type: 'ChunkHeader', hash: 'a'.repeat(64), length: 3}, raw: new Uint8Array(3)}),
    })
    const second = await connectAs(short.port)
    const violation = await refusal(second.getChunk(ask(0, 5)))
    expect(violation.code).toBe('protocol')
    expect(violation.message).toContain('a ChunkHeader of 3 bytes answers a GetChunk of 5')
    expect(second.usable).toBe(false)
  })

  it('answers garbage with an Error frame and closes that connection, while serving another client', async () => {
    const {port} = await startBulkServer(ids, {data: DATA})
    const good = await connectAs(port)
    const cases: Buffer[] = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
      Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('hello')]),
      encodeFrame({type: 'GetGame', id: 'quake3'}),
    ]
    for (const garbage of cases) {
      const bad = await rawTlsClient(port, {identity: ids.client})
      bad.write(garbage)
      const {bytes, closed} = await readUntilClosed(bad, 5_000)
      expect(closed).toBe(true)
      expect(framesIn(bytes)).toEqual([expect.objectContaining({type: 'Error', code: 'bad_frame'})])
      const {bytes: chunk} = await good.getChunk(ask(MiB, MiB))
      expect(Buffer.compare(chunk, DATA.subarray(MiB, 2 * MiB))).toBe(0)
    }
    await good.close()
  })

  it('lets a client that stops reading stall only itself, and drops it after the idle timeout', async () => {
    const {port, server} = await startBulkServer(ids, {data: DATA, settings: {idleTimeoutMs: 2_000}})
    const stalled = await rawTlsClient(port, {identity: ids.client})
    // Pipelined 16 MiB replies it never reads: the server's write to it waits on the socket.
    for (let i = 0; i < 4; i++) stalled.write(encodeFrame({type: 'GetChunk', ...ask(0, 16 * MiB)}))
    const good = await connectAs(port)
    const started = Date.now()
    for (let i = 0; i < 5; i++) {
      const {bytes} = await good.getChunk(ask(i * MiB, 4 * MiB))
      expect(Buffer.compare(bytes, DATA.subarray(i * MiB, (i + 4) * MiB))).toBe(0)
    }
    // Served while the stalled connection is still open (before its idle timeout).
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(server.servedCount()).toBe(2)
    // The stalled client does not read, so it never sees its end: watch the server's side,
    // while the good client keeps asking (so its own connection never idles out).
    const deadline = Date.now() + 8_000
    while (server.servedCount() === 2 && Date.now() < deadline) await good.getChunk(ask(0, 1024))
    expect(server.servedCount()).toBe(1)
    expect(Date.now() - started).toBeGreaterThan(1_900)
    expect(good.usable).toBe(true)
    await good.close()
  })

  it("releases every reply's permit once its bytes are written, and when the client vanished mid-reply", async () => {
    let held = 0
    let released = 0
    const inner = memoryHandler(DATA)
    const handler: BulkRequestHandler = async (request, peerId) => {
      const answer = await inner(request, peerId)
      held++
      return {...answer, release: () => released++}
    }
    const {port} = await startBulkServer(ids, {handler})
    const connection = await connectAs(port)
    for (let i = 0; i < 12; i++) await connection.getChunk(ask((i % 6) * MiB, 4 * MiB))
    expect({held, released}).toEqual({held: 12, released: 12})
    await connection.close()
    // A client that asks for 16 MiB and disconnects without reading: the write fails, the permit comes back.
    const vanishing = await rawTlsClient(port, {identity: ids.client})
    vanishing.write(encodeFrame({type: 'GetChunk', ...ask(0, 16 * MiB)}))
    const deadline = Date.now() + 5_000
    while (held === 12 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    vanishing.destroy()
    while (released < held && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(released).toBe(held)
  })

  it('bounds connections per peer with a busy Error', async () => {
    const {port} = await startBulkServer(ids, {data: DATA, settings: {maxConnectionsPerPeer: 2}})
    const first = await connectAs(port)
    const second = await connectAs(port)
    await first.getChunk(ask(0, 10))
    await second.getChunk(ask(0, 10))
    const third = await connectAs(port)
    const error = await refusal(third.getChunk(ask(0, 10)))
    expect(error.code).toBe('busy')
    await first.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const fourth = await connectAs(port)
    expect((await fourth.getChunk(ask(0, 10))).bytes.length).toBe(10)
    await Promise.all([second.close(), third.close(), fourth.close()])
  })

  it('times a request out on the client when the server never answers, and closes that connection', async () => {
    const {port} = await startBulkServer(ids, {handler: () => new Promise(() => undefined), settings: {closeGraceMs: 200}})
    const connection = await connectAs(port, ids.client, ids.server.fingerprint, {requestTimeoutMs: 300})
    const error = await refusal(connection.getChunk(ask(0, 10)))
    expect(error.message).toMatch(/timed out after 300 ms$/)
    expect(connection.usable).toBe(false)
  })

  it('stops within the grace with idle, stalled and handshaking clients, leaving no socket or timer behind', async () => {
    const before = resourceCounts()
    const {port, server} = await startBulkServer(ids, {data: DATA, settings: {closeGraceMs: 300}})
    const idle = await connectAs(port)
    await idle.getChunk(ask(0, 10))
    const stalled = await rawTlsClient(port, {identity: ids.client})
    for (let i = 0; i < 3; i++) stalled.write(encodeFrame({type: 'GetChunk', ...ask(0, 16 * MiB)}))
    const handshaking = net.connect(port, '127.0.0.1')
    handshaking.on('error', () => undefined)
    await new Promise((resolve) => handshaking.once('connect', resolve))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await server.connectionCount()).toBe(3)

    const started = Date.now()
    await server.stop()
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(await server.connectionCount()).toBe(0)
    // The stalled client reads nothing, so it would never notice the end: it is let go here.
    stalled.destroy()
    await Promise.all([idle.close(), closed(stalled), closed(handshaking)])
    expect(idle.usable).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const after = resourceCounts()
    for (const [kind, count] of Object.entries(after)) expect(count, kind).toBeLessThanOrEqual(before[kind] ?? 0)
  })
})

function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise((resolve) => socket.once('close', () => resolve()))
}

/** Open TCP sockets, servers and timers of this process. */
function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}
