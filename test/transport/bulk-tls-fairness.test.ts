// SPEC §4.6 on the bulk TLS server, with real sockets on loopback: connections that never finish
// their handshake are closed, and one source address cannot use up the server's connection budget.
import net from 'node:net'
import tls from 'node:tls'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'
import {connectBulk} from '../../src/transport/bulk-tls-client.js'
import {BULK_ALPN} from '../../src/transport/bulk-tls.js'
import {type Identities, MANIFEST_HASH, SERVER_PEER, makeIdentities, startBulkServer} from '../helpers/bulk-tls.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'

const DATA = Buffer.alloc(64 * 1024, 7)
const ask = {id: 'quake3', manifest_hash: MANIFEST_HASH, path: 'data.bin', offset: 0, length: 1024}

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids.cleanup())

failOnEscapedErrors()

describe('bulk TLS fairness', () => {
  it('serves a peer from another address while one address holds 500 idle TCP connections', async () => {
    const before = resourceCounts()
    const {port, server} = await startBulkServer(ids, {data: DATA})
    const idle = await openIdle(port, '127.0.0.2', 500)
    // Whatever the server kept of them, it is at most its per-address share.
    const open = await openAfter(idle, server.settings.maxConnectionsPerAddress, 5_000)
    expect(open).toBeLessThanOrEqual(server.settings.maxConnectionsPerAddress)
    expect(await server.connectionCount()).toBeLessThanOrEqual(server.settings.maxConnectionsPerAddress)

    const connection = await connectBulk('127.0.0.1', port, {expectedFingerprint: ids.server.fingerprint, certificate: ids.client, peerId: SERVER_PEER})
    const {bytes} = await connection.getChunk(ask)
    expect(Buffer.compare(bytes, DATA.subarray(0, 1024))).toBe(0)
    await connection.close()

    for (const socket of idle) socket.destroy()
    await Promise.all(idle.map(closed))
    await server.stop()
    await settle()
    expect(leaks(before, resourceCounts())).toEqual({})
  })

  it('closes a TCP connection that never sends a byte once the handshake timeout passes', async () => {
    const {port} = await startBulkServer(ids, {settings: {handshakeTimeoutMs: 300}})
    const [silent] = await openIdle(port, '127.0.0.3', 1)
    const started = Date.now()
    await closedWithin(silent!, 5_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })

  it('closes a connection that sent its ClientHello and stalled, once the handshake timeout passes', async () => {
    const hello = await captureClientHello()
    const {port, server} = await startBulkServer(ids, {settings: {handshakeTimeoutMs: 300}})
    const stalled = await openIdle(port, '127.0.0.4', 3)
    for (const socket of stalled) socket.write(hello)
    await Promise.all(stalled.map((socket) => closedWithin(socket, 5_000)))
    await settle()
    expect(await server.connectionCount()).toBe(0)
  })

  it('lets one address hold at most its share while handshakes are pending, and frees it when they close', async () => {
    const {port, server} = await startBulkServer(ids, {data: DATA, settings: {maxConnectionsPerAddress: 3, maxConnections: 8}})
    const first = await openIdle(port, '127.0.0.5', 10)
    await settle()
    expect(first.filter((socket) => !socket.closed).length).toBe(3)
    for (const socket of first) socket.destroy()
    await Promise.all(first.map(closed))
    await settle()
    const again = await openIdle(port, '127.0.0.5', 3)
    await settle()
    expect(again.filter((socket) => !socket.closed).length).toBe(3)
    expect(await server.connectionCount()).toBe(3)
  })
})

/** `count` TCP connections from `localAddress` that send nothing; destroyed after the test. */
async function openIdle(port: number, localAddress: string, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all(sockets.map(closed))
  })
  for (let i = 0; i < count; i++) {
    const socket = net.connect({port, host: '127.0.0.1', localAddress})
    socket.on('error', () => undefined)
    // Flowing, so the server's close is seen (a paused socket never reads the end).
    socket.resume()
    sockets.push(socket)
  }
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once('connect', () => resolve())
          socket.once('close', () => resolve())
        }),
    ),
  )
  return sockets
}

/** The first flight of a real TLS client offering the bulk ALPN: what a stalling attacker sends. */
async function captureClientHello(): Promise<Buffer> {
  const sink = net.createServer()
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
  const {port} = sink.address() as net.AddressInfo
  const first = new Promise<Buffer>((resolve) =>
    sink.once('connection', (socket) =>
      socket.once('data', (data: Buffer) => {
        socket.destroy()
        resolve(data)
      }),
    ),
  )
  const client = tls.connect({host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: [BULK_ALPN]})
  client.on('error', () => undefined)
  const hello = await first
  client.destroy()
  await new Promise<void>((resolve) => sink.close(() => resolve()))
  return hello
}

function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise((resolve) => socket.once('close', () => resolve()))
}

async function closedWithin(socket: net.Socket, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server kept the connection open for ${ms} ms`)), ms)
  })
  await Promise.race([closed(socket), late]).finally(() => clearTimeout(timer))
}

/** How many of `sockets` are open once at most `target` are, or `ms` passed (then more). */
async function openAfter(sockets: net.Socket[], target: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms
  let open = sockets.filter((socket) => !socket.closed).length
  while (open > target && Date.now() < deadline) {
    await settle()
    open = sockets.filter((socket) => !socket.closed).length
  }
  return open
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 150))
}

/** Open TCP sockets, servers and timers of this process. */
function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

function leaks(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const grown: Record<string, number> = {}
  for (const [kind, count] of Object.entries(after)) if (count > (before[kind] ?? 0)) grown[kind] = count - (before[kind] ?? 0)
  return grown
}
