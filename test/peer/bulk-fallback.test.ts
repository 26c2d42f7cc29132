// SPEC §4.5 with two real runtimes on loopback: a source whose bulk TLS port refuses, accepts and
// never answers, or answers TLS and then nothing, is fetched from over QUIC, and the fetch says so.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {fetchGames} from '../../src/peer/fetch-games.js'
import {BulkTlsServer} from '../../src/transport/bulk-tls-server.js'
import {type TestPeer, eventually, gamesOf, startPeer} from '../helpers/peers.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const PAYLOAD = randomBytes(1536 * 1024 + 17)

const LIVENESS = {pingAfterMs: 30_000, staleAfterMs: 90_000}

/** A source with the game, and a downloader that knows its library, bulk timeouts short. */
async function twoPeers(): Promise<{source: TestPeer; downloader: TestPeer}> {
  const held = await makeTempLibrary([{id: 'quake3', name: 'Quake 3'}])
  await held.writeGame('quake3', {'version.ini': '1.0\n', 'data.eti': PAYLOAD})
  // Default liveness: over QUIC a chunk can take seconds, and a 1.5 s stale timeout would drop the peer.
  const source = await startPeer({library: held, settings: LIVENESS})
  const library = await makeTempLibrary([{id: 'quake3', name: 'Quake 3'}])
  const downloader = await startPeer({library, peers: [source.address], settings: {...LIVENESS, bulkConnectTimeoutMs: 500, bulkReplyTimeoutMs: 500}})
  await eventually(() => gamesOf(downloader, source).includes('quake3'), 'the downloader to know the source library')
  return {source, downloader}
}

async function fetchedOk(downloader: TestPeer) {
  const {games} = await fetchGames(downloader.runtime, {ids: ['quake3']})
  const onDisk = await fs.readFile(path.join(downloader.library.gamesDir, 'quake3', 'data.eti'))
  expect(onDisk.equals(PAYLOAD)).toBe(true)
  return games[0]!
}

/** Frees the source's bulk port, then has `occupy` listen there instead. */
async function replaceBulkPlane(source: TestPeer, occupy: (port: number) => Promise<void>): Promise<number> {
  const port = source.runtime.bulkPort!
  await source.runtime.bulkServer!.stop()
  await occupy(port)
  return port
}

describe('bulk TLS fallback to QUIC, per source', () => {
  it('fetches over bulk TLS when the port works, and says so', async () => {
    const {source, downloader} = await twoPeers()
    const started = performance.now()
    const game = await fetchedOk(downloader)
    console.log(`fetch of ${game.bytes} bytes, nothing else held: ${Math.round(performance.now() - started)} ms`)
    expect(game.sources).toEqual([{peer_id: source.runtime.peerId, bytes: expect.any(Number), transport: 'bulk-tls', kind: 'seed'}])
  }, 60_000)

  it('fetches over bulk TLS while another address holds 500 idle TCP connections to the bulk port', async () => {
    const {source, downloader} = await twoPeers()
    const idle = await idleConnections(source.runtime.bulkPort!, '127.0.0.2', 500)
    const started = performance.now()
    const game = await fetchedOk(downloader)
    console.log(
      `fetch of ${game.bytes} bytes with 500 idle connections held: ${Math.round(performance.now() - started)} ms; ${idle.filter((s) => !s.closed).length} of them still open`,
    )
    expect(game.sources).toEqual([{peer_id: source.runtime.peerId, bytes: game.bytes, transport: 'bulk-tls', kind: 'seed'}])
    expect(await source.runtime.bulkServer!.connectionCount()).toBeLessThanOrEqual(source.runtime.bulkServer!.settings.maxConnections)
  }, 60_000)

  it('fetches over QUIC from a source whose bulk port refuses connections', async () => {
    const {source, downloader} = await twoPeers()
    await replaceBulkPlane(source, async () => undefined)
    const game = await fetchedOk(downloader)
    expect(game.sources).toEqual([
      {peer_id: source.runtime.peerId, bytes: game.bytes, transport: 'quic', fallback_reason: expect.stringMatching(/ECONNREFUSED/), kind: 'seed'},
    ])
    expect(downloader.logs.some((line) => /warn: .*bulk TLS port .* is unusable .*ECONNREFUSED.*; its chunks come over QUIC/.test(line))).toBe(true)
  }, 60_000)

  it('fetches over QUIC from a source whose bulk port accepts TCP and never answers', async () => {
    const {source, downloader} = await twoPeers()
    const accepted: net.Socket[] = []
    await replaceBulkPlane(source, (port) =>
      listen(
        net.createServer((socket) => accepted.push(socket)),
        port,
        accepted,
      ),
    )
    const game = await fetchedOk(downloader)
    expect(accepted.length).toBeGreaterThan(0)
    expect(game.sources).toEqual([
      {peer_id: source.runtime.peerId, bytes: game.bytes, transport: 'quic', fallback_reason: expect.stringMatching(/timed out after 500 ms/), kind: 'seed'},
    ])
  }, 60_000)

  it('fetches over QUIC from a source whose bulk port finishes TLS and then sends no reply byte', async () => {
    const {source, downloader} = await twoPeers()
    const mute = new BulkTlsServer({
      certificate: source.runtime.certificate,
      identify: () => downloader.runtime.peerId,
      handler: () => new Promise(() => undefined),
    })
    onTestFinished(() => mute.stop())
    await replaceBulkPlane(source, async (port) => void (await mute.start({host: '127.0.0.1', port})))
    const game = await fetchedOk(downloader)
    expect(mute.servedCount()).toBe(0)
    expect(game.sources).toEqual([
      {
        peer_id: source.runtime.peerId,
        bytes: game.bytes,
        transport: 'quic',
        fallback_reason: expect.stringMatching(/no reply byte within 500 ms/),
        kind: 'seed',
      },
    ])
  }, 60_000)
})

/** `count` TCP connections from `localAddress` that never send a byte; destroyed after the test. */
async function idleConnections(port: number, localAddress: string, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy()
  })
  for (let i = 0; i < count; i++) {
    const socket = net.connect({port, host: '127.0.0.1', localAddress})
    socket.on('error', () => undefined)
    socket.resume()
    sockets.push(socket)
  }
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise((resolve) => {
          socket.once('connect', resolve)
          socket.once('close', resolve)
        }),
    ),
  )
  return sockets
}

/** Listens on 127.0.0.1:`port` until the test ends, then closes it and every socket it accepted. */
async function listen(server: net.Server, port: number, accepted: net.Socket[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  onTestFinished(async () => {
    for (const socket of accepted) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
}
