import {randomUUID} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {libraryDigest} from '../../src/library/library-revision.js'
import type {GameSummary} from '../../src/library/summary.js'
import {FrameReader} from '../../src/protocol/frame-reader.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import {loadOrCreateCertificate} from '../../src/transport/certs.js'
import type {Endpoint, PeerConnection} from '../../src/transport/endpoint.js'
import {PortableEndpoint} from '../../src/transport/portable.js'
import {QuicEndpoint} from '../../src/transport/quic.js'
import type {TransportName} from '../../src/words/transports.js'
import {eventually, gamesOf, startPeer as startTestPeer} from '../helpers/peers.js'
import {PEER_TRANSPORTS} from '../helpers/transports.js'
import {EPOCH, summary} from '../helpers/protocol.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'

const GAME = {'version.ini': '1.0\n', 'data.eti': 'archive bytes'}

/** A bare endpoint of one transport with its own certificate: it dials, and answers nothing. */
async function rawEndpointOf(kind: TransportName): Promise<Endpoint> {
  const certificate = await loadOrCreateCertificate(await makeTempDir())
  const settings = {maxIdleTimeoutMs: 3000, keepAliveIntervalMs: 500}
  const endpoint = kind === 'quic' ? new QuicEndpoint({certificate, settings}, {log: () => {}}) : new PortableEndpoint({certificate, settings}, {log: () => {}})
  await endpoint.start({host: '127.0.0.1', port: 0})
  onTestFinished(() => endpoint.stop())
  return endpoint
}

/** Where a peer at `port` (its --port) takes connections of `kind`: QUIC on it, portable on TCP + 1. */
function portOf(kind: TransportName, port: number): number {
  return kind === 'quic' ? port : port + 1
}

/** Sends raw bytes on a new stream and returns the first frame of the answer (or undefined). */
async function sendRaw(connection: PeerConnection, bytes: Uint8Array) {
  return connection.request(
    async (stream) => {
      const writer = stream.writable.getWriter()
      await writer.write(bytes)
      await writer.close()
      return new FrameReader(stream.readable).next().catch((error: unknown) => error)
    },
    {timeoutMs: 3000, what: 'hostile request'},
  )
}

function prefixed(length: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32BE(length)
  return Buffer.concat([prefix, body])
}

// Every hostile peer is tried over each transport (record 0033); the runtime under attack runs the
// portable transport alone in the portable run, as on a machine without QUIC.
describe.each(PEER_TRANSPORTS)('peer runtime against hostile peers over %s', (kind) => {
  const startPeer = (options: Parameters<typeof startTestPeer>[0] = {}) => startTestPeer({...options, transport: kind})
  const rawEndpoint = () => rawEndpointOf(kind)
  const rawClient = async (port: number): Promise<PeerConnection> => (await rawEndpoint()).dial('127.0.0.1', portOf(kind, port), {timeoutMs: 3000})

  it("refuses a large request frame by its type before reading its body: a stranger's LibraryDelta, anyone's GetChunk", async () => {
    const a = await startPeer({games: {alpha: GAME}})
    // Only the prefix and the first bytes are sent: a reader that waited for the whole body would time out.
    const head = (type: string, length: number) => prefixed(length, Buffer.from(`{"type":"${type}","padding":"${'x'.repeat(100)}`))
    const stranger = await rawClient(a.address.port)
    expect(await sendRaw(stranger, head('LibraryDelta', 4 * 1024 * 1024))).toMatchObject({
      type: 'Error',
      code: 'bad_frame',
      message: expect.stringContaining('a LibraryDelta frame of 4194304 bytes is over the limit of 65536'),
    })
    expect(await sendRaw(stranger, head('Hello', 2 * 1024 * 1024))).toMatchObject({
      type: 'Error',
      code: 'bad_frame',
      message: expect.stringContaining('over the limit of 1048576'),
    })
    const b = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).length === 1, 'b synced')
    expect(await sendRaw(b.runtime.sessions.connectionOf(a.runtime.peerId)!, head('GetChunk', 1024 * 1024))).toMatchObject({
      type: 'Error',
      code: 'bad_frame',
      message: expect.stringContaining('a GetChunk frame of 1048576 bytes'),
    })
  })

  it('answers bad frames with an Error, drops a peer that keeps at it, and keeps serving the others', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const b = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).length === 1, 'b synced')
    const hostile = await rawClient(a.address.port)
    expect(await sendRaw(hostile, prefixed(64 * 1024 * 1024))).toMatchObject({type: 'Error', code: 'bad_frame'})
    expect(await sendRaw(hostile, prefixed(5, Buffer.from('{{{{{')))).toMatchObject({type: 'Error', code: 'bad_frame'})
    expect(await sendRaw(hostile, prefixed(20, Buffer.from('{"type":"Nonsense"} ')))).toMatchObject({type: 'Error'})
    await eventually(() => hostile.isClosed(), 'the hostile connection dropped')
    // a request before Hello is refused without counting as garbage
    const polite = await rawClient(a.address.port)
    expect(await sendRaw(polite, encodeFrame({type: 'Ping'}))).toMatchObject({type: 'Error', code: 'bad_request'})
    expect(await sendRaw(polite, encodeFrame({type: 'ListGames'}))).toMatchObject({type: 'GameList', games: [{id: 'alpha'}]})
    // a stream reset mid-request and a connection that never speaks
    await polite
      .request(
        async (stream) => {
          const writer = stream.writable.getWriter()
          await writer.write(prefixed(100, Buffer.from('{"type":')))
          stream.cancel(new Error('gone'))
        },
        {timeoutMs: 1000, what: 'reset'},
      )
      .catch(() => {})
    const silent = await rawClient(a.address.port)
    await b.runtime.sessions.ping(a.runtime.peerId)
    expect(a.runtime.table.list()).toHaveLength(1)
    // A connection that never says Hello is closed after the request timeout (3 s here).
    await eventually(() => silent.isClosed(), 'the silent connection closed', 8000)
    await b.runtime.sessions.ping(a.runtime.peerId)
  })

  it('does not take games in a Hello that do not match its digest: it asks for the library instead', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const asked: string[] = []
    a.runtime.sessions.on('frames', (frame) => {
      if (frame.direction === 'out') asked.push(frame.type)
    })
    const liar = await rawClient(a.address.port)
    const liarId = randomUUID()
    const hello = {
      type: 'Hello' as const,
      peer_id: liarId,
      proto_ver: 1,
      library_rev: 3,
      library_epoch: EPOCH,
      library_digest: 'f'.repeat(64),
      features: [],
      listen_port: 9,
      games: [summary('doom')],
    }
    expect(await sendRaw(liar, encodeFrame(hello))).toMatchObject({type: 'HelloAck', games: [{id: 'alpha'}]})
    await eventually(() => asked.includes('GetLibrary'), "a pull of the liar's library")
    expect(a.runtime.table.get(liarId)?.library.gameCount).toBe(0)
    expect(a.runtime.table.get(liarId)?.library.position).toBeUndefined()
  })

  it('never rolls a library back to an older Hello (one built before a delta that overtook it)', async () => {
    const a = await startPeer()
    const endpoint = await rawEndpoint()
    const peerId = randomUUID()
    const helloAt = (rev: number, games: GameSummary[]) => ({
      type: 'Hello' as const,
      peer_id: peerId,
      proto_ver: 1,
      library_rev: rev,
      library_epoch: EPOCH,
      library_digest: libraryDigest(games),
      features: [],
      listen_port: 9,
      games,
    })
    const held = () => a.runtime.table.get(peerId)?.library
    await sendRaw(
      await endpoint.dial('127.0.0.1', portOf(kind, a.address.port), {timeoutMs: 3000}),
      encodeFrame(helloAt(3, [summary('doom'), summary('quake3')])),
    )
    expect(held()?.position?.library_rev).toBe(3)
    expect(
      await sendRaw(await endpoint.dial('127.0.0.1', portOf(kind, a.address.port), {timeoutMs: 3000}), encodeFrame(helloAt(2, [summary('doom')]))),
    ).toMatchObject({
      type: 'HelloAck',
    })
    expect(held()?.position?.library_rev).toBe(3)
    expect(held()?.gameCount).toBe(2)
  })

  it('refuses an impostor that claims a known peer_id with another certificate, and keeps the real peer', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const real = await startPeer({peers: [a.address]})
    await eventually(() => a.runtime.table.list().length === 1, 'the real peer known')
    const refused: unknown[] = []
    a.runtime.on('peer_refused', (event) => refused.push(event))
    const impostorLibrary = await makeTempLibrary()
    await fs.mkdir(impostorLibrary.paths.stateDir, {recursive: true})
    await fs.copyFile(real.library.paths.peerPath, impostorLibrary.paths.peerPath)
    const impostor = await startPeer({library: impostorLibrary, peers: [a.address]})
    expect(impostor.runtime.peerId).toBe(real.runtime.peerId)
    await eventually(() => refused.length > 0, 'the impostor refused')
    expect(refused[0]).toMatchObject({peer_id: real.runtime.peerId})
    expect(a.runtime.table.list()).toHaveLength(1)
    await real.runtime.sessions.ping(a.runtime.peerId)
    expect(a.runtime.table.get(real.runtime.peerId)?.addresses[0]?.port).toBe(real.address.port)
    expect(await fs.readdir(path.join(a.library.paths.stateDir, 'pins'))).toHaveLength(1)
  })
})
