// Measurements, not checks: the rate of one 16 MiB transfer over one QUIC stream between two
// processes on loopback, with the transport's settings; and the CPU a small message costs (a
// Have batch: one datagram and its ACK), with the library's recv lock and with the SerialLock
// of record 0043, in one run. Run: npm run bench:quic.
import path from 'node:path'
import {QUICServer, events as quicEvents} from '@matrixai/quic'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {serverCrypto} from '../src/transport/quic-settings.js'
import {REPO_ROOT} from '../test/helpers/cli.js'
import {startEndpoint} from '../test/helpers/quic-endpoints.js'
import {dialPair, quicSocketPair} from '../test/helpers/quic-sockets.js'
import {makeTempDir} from '../test/helpers/temp-library.js'

const SIZE = 16 * 1024 * 1024

describe('QUIC stream throughput', () => {
  it('moves 16 MiB from another process over one stream', async () => {
    const {child, port} = await serveInChild()
    try {
      const a = await startEndpoint()
      const connection = await a.endpoint.dial('127.0.0.1', port)
      // LANSPREAD_QUIC_BENCH_NO_STACKS=1: no stack traces, as with node --stack-trace-limit=0
      // (@matrixai/quic makes errors on its per-packet paths).
      const noStacks = process.env.LANSPREAD_QUIC_BENCH_NO_STACKS === '1'
      const stackTraceLimit = Error.stackTraceLimit
      if (noStacks) Error.stackTraceLimit = 0
      const cpu = process.cpuUsage()
      const started = process.hrtime.bigint()
      const received = await connection.requestBytes(new Uint8Array(0), {timeoutMs: 170_000, what: '16 MiB', maxBytes: SIZE})
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const used = process.cpuUsage(cpu)
      Error.stackTraceLimit = stackTraceLimit
      const cpuSeconds = (used.user + used.system) / 1e6
      expect(received.byteLength).toBe(SIZE)
      console.log(
        `16 MiB over one QUIC stream, two processes on loopback${noStacks ? ', no stack traces' : ''}: ${(SIZE / seconds / 1e6).toFixed(2)} MB/s wall ` +
          `(${seconds.toFixed(1)} s); receiver CPU ${cpuSeconds.toFixed(1)} s = ${(SIZE / cpuSeconds / 1e6).toFixed(1)} MB per CPU-second`,
      )
    } finally {
      child.kill('SIGKILL')
      await child.catch(() => undefined)
    }
  }, 180_000)
})

describe('QUIC small messages', () => {
  it("measures the CPU per datagram with the library's recv lock and with the SerialLock", async () => {
    const rounds: Record<'library' | 'serial', number[]> = {library: [], serial: []}
    await smallMessages('serial', 300) // warms the JIT for both
    for (let round = 0; round < 2; round++) {
      for (const lock of ['library', 'serial'] as const) rounds[lock].push(await smallMessages(lock, 1500))
    }
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
    const [library, serial] = [mean(rounds.library), mean(rounds.serial)]
    expect(serial).toBeGreaterThan(0)
    console.log(
      `a 120-byte write each ms over one QUIC stream, both ends in this process: ${library.toFixed(0)} µs of CPU per datagram with the library's recv lock ` +
        `(${rounds.library.map((v) => v.toFixed(0)).join(', ')}), ${serial.toFixed(0)} µs with the SerialLock (${rounds.serial.map((v) => v.toFixed(0)).join(', ')}): ` +
        `${(library / serial).toFixed(2)}×`,
    )
  }, 120_000)
})

/** CPU µs per datagram (sent or received, both ends counted) for `count` small writes, one each ms. */
async function smallMessages(lock: 'library' | 'serial', count: number): Promise<number> {
  const pair = await quicSocketPair()
  const {config, logger, listening} = pair
  listening.countTraffic()
  if (lock === 'serial') for (const socket of [listening, pair.dialling]) socket.serializeRecvLocks()
  const server = new QUICServer({socket: listening, crypto: serverCrypto(), config, logger})
  let received = 0
  server.addEventListener(quicEvents.EventQUICServerConnection.name, (event: Event) => {
    const connection = (event as quicEvents.EventQUICServerConnection).detail
    connection.addEventListener(quicEvents.EventQUICConnectionStream.name, (streamEvent: Event) => {
      const {readable} = (streamEvent as quicEvents.EventQUICConnectionStream).detail
      void (async () => {
        for await (const chunk of readable) received += chunk.byteLength
      })().catch(() => undefined)
    })
  })
  await server.start()
  const client = await dialPair(pair)
  try {
    const writer = client.connection.newStream().writable.getWriter()
    const message = new Uint8Array(120)
    const before = {cpu: process.cpuUsage(), datagrams: listening.traffic.datagrams_in + listening.traffic.datagrams_out}
    for (let i = 0; i < count; i++) {
      await writer.write(message)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    for (let wait = 0; received < count * message.length && wait < 1000; wait++) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(received).toBe(count * message.length)
    const used = process.cpuUsage(before.cpu)
    return (used.user + used.system) / (listening.traffic.datagrams_in + listening.traffic.datagrams_out - before.datagrams)
  } finally {
    await client.destroy({force: true}).catch(() => undefined)
    await server.stop({force: true}).catch(() => undefined)
    await pair.stop()
  }
}

async function serveInChild() {
  const tlsDir = path.join(await makeTempDir(), 'tls')
  const certs = path.join(REPO_ROOT, 'src/transport/certs.ts')
  const quic = path.join(REPO_ROOT, 'src/transport/quic.ts')
  const script = `
    const {loadOrCreateCertificate} = await import(${JSON.stringify(certs)})
    const {QuicEndpoint} = await import(${JSON.stringify(quic)})
    const payload = (await import('node:crypto')).randomBytes(${SIZE})
    if (process.env.LANSPREAD_QUIC_BENCH_NO_STACKS === '1') Error.stackTraceLimit = 0
    const endpoint = new QuicEndpoint({certificate: await loadOrCreateCertificate(${JSON.stringify(tlsDir)})})
    endpoint.onStream(async (stream) => {
      const writer = stream.writable.getWriter()
      for (let offset = 0; offset < payload.length; offset += 256 * 1024) await writer.write(payload.subarray(offset, offset + 256 * 1024))
      await writer.close()
    })
    const {port} = await endpoint.start({host: '127.0.0.1', port: 0})
    console.log(port)`
  const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {reject: false, timeout: 200_000})
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (data) => resolve(Number(String(data).trim())))
    void child.then((r) => reject(new Error(`the server exited: ${r.stderr}`)))
  })
  // Wrapped: an execa child is a thenable, and returning it from an async function would wait for its exit.
  return {child, port}
}
