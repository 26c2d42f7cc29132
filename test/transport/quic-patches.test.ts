// The canary of src/transport/quic-patches.ts: checks, on real @matrixai/quic objects over
// loopback, that every private member a patch relies on is still there and still used the way
// the patch assumes. A failure names the patch; re-check it against the new library.
import dgram from 'node:dgram'
import fs from 'node:fs/promises'
import path from 'node:path'
import {QUICClient, QUICConnection, QUICConnectionMap, QUICServer, QUICSocket, events as quicEvents} from '@matrixai/quic'
import {afterEach, describe, expect, it} from 'vitest'
import {PATCHED_QUIC_VERSION, QUIC_PATCHES, type QuicPatchName, TunedQuicSocket} from '../../src/transport/quic-patches.js'
import {SerialLock} from '../../src/util/serial-lock.js'
import {quicLogger, serverCrypto} from '../../src/transport/quic-settings.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {type QuicSocketPair, dialPair, quicSocketPair} from '../helpers/quic-sockets.js'

/** Fails loudly, naming the patch and what it needs, when the library no longer offers it. */
function canary(patch: QuicPatchName, ok: boolean, found: string): void {
  if (ok) return
  throw new Error(
    `@matrixai/quic changed under the "${patch}" patch (src/transport/quic-patches.ts): it needs ${QUIC_PATCHES[patch]}; found ${found}. ` +
      `Re-check the patch against the installed library before moving PATCHED_QUIC_VERSION (${PATCHED_QUIC_VERSION}).`,
  )
}

const describeValue = (value: unknown): string => (typeof value === 'function' ? `a function of ${value.length} parameters` : typeof value)

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
})

async function startedSocket<T extends QUICSocket>(socket: T): Promise<T> {
  await socket.start({host: '127.0.0.1', port: 0})
  cleanups.push(() => socket.stop({force: true}))
  return socket
}

/** A plain object view of a library instance, to look at members its types hide. */
const internals = (value: object): Record<string, unknown> => value as Record<string, unknown>

/** Two started sockets, stopped after the test. */
async function socketPair(): Promise<QuicSocketPair> {
  const pair = await quicSocketPair()
  cleanups.push(() => pair.stop())
  return pair
}

/** A client on `dialling`, connected to the server on `listening`, destroyed after the test. */
async function dial(pair: QuicSocketPair): Promise<QUICClient> {
  const client = await dialPair(pair)
  cleanups.push(() => client.destroy({force: true}))
  return client
}

describe('the @matrixai/quic patches (canary)', () => {
  it(`are written for the installed @matrixai/quic, pinned exactly at ${PATCHED_QUIC_VERSION}`, async () => {
    const installed = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'node_modules', '@matrixai', 'quic', 'package.json'), 'utf8')) as {version: string}
    const ours = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {dependencies: Record<string, string>}
    const problem =
      installed.version !== PATCHED_QUIC_VERSION
        ? `@matrixai/quic ${installed.version} is installed`
        : ours.dependencies['@matrixai/quic'] !== PATCHED_QUIC_VERSION
          ? `package.json asks for "${ours.dependencies['@matrixai/quic']}", not exactly ${PATCHED_QUIC_VERSION}`
          : undefined
    if (problem) {
      throw new Error(
        `src/transport/quic-patches.ts was written for @matrixai/quic ${PATCHED_QUIC_VERSION} but ${problem}: ` +
          `re-check every patch there (${Object.keys(QUIC_PATCHES).join(', ')}) against the library, then move PATCHED_QUIC_VERSION.`,
      )
    }
  })

  it('find the members they patch on a started QUICSocket', async () => {
    const socket = internals(await startedSocket(new QUICSocket({logger: quicLogger(() => {})})))
    const udp = socket.socket
    canary('bufferSizes', udp instanceof dgram.Socket, describeValue(udp))
    canary('countTrafficIn', udp instanceof dgram.Socket && udp.listenerCount('message') >= 1, 'no library listener on the dgram socket')
    canary('countTrafficOut', typeof socket.socketSend === 'function', describeValue(socket.socketSend))
    const map = socket.connectionMap
    canary('watchConnections', map instanceof QUICConnectionMap, describeValue(map))
    const set = (map as {set?: unknown}).set
    canary('watchConnections', typeof set === 'function' && set.length === 2, `connectionMap.set is ${describeValue(set)}`)
  })

  it('see every send and send_ go through socketSend, with the parameters sentBytes reads', async () => {
    const socket = await startedSocket(new QUICSocket({logger: quicLogger(() => {})}))
    const receiver = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => receiver.close(() => resolve())))
    const port = receiver.address().port
    const calls: unknown[][] = []
    const view = internals(socket)
    const original = view.socketSend as (...params: unknown[]) => Promise<number>
    view.socketSend = (...params: unknown[]) => {
      calls.push(params)
      return original(...params)
    }
    await socket.send(Buffer.from('abc'), port, '127.0.0.1')
    await socket.send_(Buffer.from('defgh'), 0, 5, port, '127.0.0.1')
    canary('countTrafficOut', calls.length === 2, `${calls.length} of 2 sends through socketSend`)
    canary(
      'countTrafficOut',
      calls[0]?.length === 3 && calls[1]?.length === 5 && calls[1]?.[2] === 5,
      `parameters ${JSON.stringify(calls.map((c) => c.length))}`,
    )
  })

  it('see each connection in the connection map before the server announces it, and count its datagrams', async () => {
    const pair = await socketPair()
    const {config, logger, listening, dialling} = pair
    const order: string[] = []
    for (const [socket, side] of [
      [listening, 'server'],
      [dialling, 'client'],
    ] as const) {
      socket.countTraffic()
      socket.watchConnections((connection) => order.push(`${side} map ${connection instanceof QUICConnection ? connection.type : 'not a QUICConnection'}`))
    }
    const server = new QUICServer({socket: listening, crypto: serverCrypto(), config, logger})
    server.addEventListener(quicEvents.EventQUICServerConnection.name, () => order.push('server announced'))
    await server.start()
    cleanups.push(() => server.stop({force: true}))
    await dial(pair)
    const deadline = Date.now() + 5_000
    while (!order.includes('server announced') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    canary('watchConnections', order.includes('client map client'), `connections seen: ${JSON.stringify(order)}`)
    const mapped = order.indexOf('server map server')
    canary('watchConnections', mapped >= 0 && mapped < order.indexOf('server announced'), `events in order: ${JSON.stringify(order)}`)
    for (const socket of [listening, dialling]) {
      canary('countTrafficIn', socket.traffic.datagrams_in > 0 && socket.traffic.bytes_in > 0, JSON.stringify(socket.traffic))
      canary('countTrafficOut', socket.traffic.datagrams_out > 0 && socket.traffic.bytes_out > 0, JSON.stringify(socket.traffic))
    }
    expect(order.filter((event) => event.endsWith('map server') || event.endsWith('map client'))).toHaveLength(2)
  })

  it('find the recv lock used by recv alone, and only through withF', async () => {
    const source = await fs.readFile(path.join(REPO_ROOT, 'node_modules', '@matrixai', 'quic', 'dist', 'QUICConnection.js'), 'utf8')
    const uses = source.match(/recvLock/g)?.length ?? 0
    canary('serialRecvLock', uses === 2, `${uses} mentions of recvLock in QUICConnection.js, not 2 (the field and recv's withF)`)
    canary('serialRecvLock', source.includes('await this.recvLock.withF(async () => {'), 'no `await this.recvLock.withF(async () => {` in recv')
  })

  it('carry a handshake and a stream over connections whose recv locks are SerialLocks', async () => {
    const pair = await socketPair()
    const {config, logger, listening, dialling} = pair
    const locks: unknown[] = []
    for (const socket of [listening, dialling]) {
      socket.serializeRecvLocks()
      socket.watchConnections((connection) => locks.push(internals(connection).recvLock))
    }
    const server = new QUICServer({socket: listening, crypto: serverCrypto(), config, logger})
    const echoed = new Promise<string>((resolve, reject) => {
      server.addEventListener(quicEvents.EventQUICServerConnection.name, (event: Event) => {
        const connection = (event as quicEvents.EventQUICServerConnection).detail
        connection.addEventListener(quicEvents.EventQUICConnectionStream.name, (streamEvent: Event) => {
          const stream = (streamEvent as quicEvents.EventQUICConnectionStream).detail
          void new Response(stream.readable).text().then(async (text) => {
            const writer = stream.writable.getWriter()
            await writer.write(new TextEncoder().encode(text.toUpperCase()))
            await writer.close()
            resolve(text)
          }, reject)
        })
      })
    })
    await server.start()
    cleanups.push(() => server.stop({force: true}))
    const client = await dial(pair)
    const stream = client.connection.newStream()
    const writer = stream.writable.getWriter()
    await writer.write(new TextEncoder().encode('hello over a serial lock'))
    await writer.close()
    const reply = await new Response(stream.readable).text()
    expect(await echoed).toBe('hello over a serial lock')
    expect(reply).toBe('HELLO OVER A SERIAL LOCK')
    canary('serialRecvLock', locks.length === 2 && locks.every((lock) => lock instanceof SerialLock), `recv locks: ${locks.map(describeValue).join(', ')}`)
  })

  it('set the kernel buffer sizes through the dgram socket', async () => {
    const socket = await startedSocket(new TunedQuicSocket({logger: quicLogger(() => {})}))
    const granted = socket.setBufferSizes(256 * 1024)
    canary('bufferSizes', granted.recv > 0 && granted.send > 0, JSON.stringify(granted))
  })
})
