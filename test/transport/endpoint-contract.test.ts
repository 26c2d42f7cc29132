// The contract every peer transport keeps (endpoint.ts), run against each implementation:
// QUIC and the portable HTTP/2-over-TLS transport (record 0033). What only QUIC does (one UDP
// socket, its settings) is tested in quic.test.ts.
import {randomBytes} from 'node:crypto'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import type {TransportName, TransportSettings} from '../../src/transport/endpoint.js'
import {chooseConnection} from '../../src/transport/choose-connection.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {echoHandler, nextConnection, startEndpointOf} from '../helpers/quic-endpoints.js'
import {makeTempDir} from '../helpers/temp-library.js'

const echo = echoHandler('echo:')

const request = {timeoutMs: 5_000, what: 'test request'}

failOnEscapedErrors()

describe.each(['quic', 'portable'] as const)('%s endpoint (the transport contract)', (kind) => {
  const start = (settings: Partial<TransportSettings> = {}) => startEndpointOf(kind, settings)

  it('exchanges bytes both ways on one connection, each end seeing the other certificate', async () => {
    const a = await start()
    const b = await start()
    a.endpoint.onStream(echo)
    b.endpoint.onStream(echo)
    const incoming = nextConnection(b.endpoint)
    const atA = await a.endpoint.dial('127.0.0.1', b.port)
    const atB = await incoming

    expect(atA.direction).toBe('outbound')
    expect(atB.direction).toBe('inbound')
    expect(atA.id).toBe(atB.id)
    expect(atA.remoteCertificateFingerprint()).toBe(b.identity.fingerprint)
    expect(atB.remoteCertificateFingerprint()).toBe(a.identity.fingerprint)
    expect([atA.transport, atB.transport]).toEqual([kind, kind])

    expect(Buffer.from(await atA.requestBytes(Buffer.from('ping from a'), request)).toString()).toBe('echo:ping from a')
    expect(Buffer.from(await atB.requestBytes(Buffer.from('ping from b'), request)).toString()).toBe('echo:ping from b')
    const answers = await Promise.all(
      Array.from({length: 20}, (_, i) => atA.requestBytes(Buffer.from(`n${i}`), request).then((r) => Buffer.from(r).toString())),
    )
    expect(answers).toEqual(Array.from({length: 20}, (_, i) => `echo:n${i}`))
  })

  it('times out a request that gets no answer, resets its stream, and keeps the connection', async () => {
    const a = await start()
    const b = await start()
    let handlerEnded!: (outcome: string) => void
    const handlerOutcome = new Promise<string>((resolve) => (handlerEnded = resolve))
    b.endpoint.onStream(async (stream) => {
      for await (const _ of stream.readable);
      // Never answer; the requester's reset (STOP_SENDING) is what ends the wait.
      try {
        await stream.writable.getWriter().closed
        handlerEnded('closed')
      } catch (error) {
        handlerEnded('reset')
        throw error
      }
    })
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    const started = Date.now()
    await expect(connection.requestBytes(Buffer.from('hello?'), {timeoutMs: 300, what: 'Hello'})).rejects.toMatchObject({
      code: 'io',
      message: expect.stringMatching(/^Hello to peer at 127\.0\.0\.1:\d+ timed out after 300 ms$/),
    })
    expect(Date.now() - started).toBeLessThan(2_000)
    // The reset reaches the silent handler: its wait ends in an error, caught by the endpoint.
    expect(await handlerOutcome).toBe('reset')
    expect(connection.isClosed()).toBe(false)
  })

  it('survives a peer that resets its stream mid-request, and serves the next stream', async () => {
    const a = await start()
    const b = await start()
    let failures = 0
    b.endpoint.onStream(async (stream) => {
      try {
        await echo(stream)
      } catch (error) {
        failures++
        throw error
      }
    })
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    await expect(
      connection.request(async (stream) => {
        const writer = stream.writable.getWriter()
        await writer.write(randomBytes(64 * 1024))
        await new Promise((resolve) => setTimeout(resolve, 50))
        stream.cancel(new Error('changed my mind'))
        await writer.closed
      }, request),
    ).rejects.toMatchObject({code: 'io'})
    await expect.poll(() => failures, {timeout: 3_000}).toBe(1)
    await expect.poll(() => b.logs.join('\n'), {timeout: 3_000}).toContain('a request from peer at 127.0.0.1')
    expect(Buffer.from(await connection.requestBytes(Buffer.from('still there?'), request)).toString()).toBe('echo:still there?')
  })

  it('reports a handler that resets the answer as an io error on the requesting side, without a crash', async () => {
    const a = await start()
    const b = await start()
    b.endpoint.onStream(async (stream) => {
      const writer = stream.writable.getWriter()
      await writer.write(Buffer.from('partial'))
      throw new Error('handler bug')
    })
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    await expect(connection.requestBytes(Buffer.from('x'), request)).rejects.toMatchObject({code: 'io'})
    await expect.poll(() => b.logs.join('\n'), {timeout: 3_000}).toContain('handler bug')
    // A synchronous throw is caught too.
    b.endpoint.onStream(() => {
      throw new Error('sync bug')
    })
    await expect(connection.requestBytes(Buffer.from('x'), request)).rejects.toMatchObject({code: 'io'})
    b.endpoint.onStream(echo)
    expect(Buffer.from(await connection.requestBytes(Buffer.from('ok'), request)).toString()).toBe('echo:ok')
  })

  it('refuses a dial nobody answers within its timeout', async () => {
    const a = await start()
    const b = await start()
    const deadPort = b.port
    await b.endpoint.stop()
    const started = Date.now()
    await expect(a.endpoint.dial('127.0.0.1', deadPort, {timeoutMs: 300})).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining(`could not connect to peer at 127.0.0.1:${deadPort}`),
    })
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('gives a dial up as soon as its signal aborts, long before its timeout', async () => {
    const a = await start()
    const b = await start()
    const deadPort = b.port
    await b.endpoint.stop()
    const abort = new AbortController()
    const started = Date.now()
    const dial = a.endpoint.dial('127.0.0.1', deadPort, {timeoutMs: 30_000, signal: abort.signal})
    setTimeout(() => abort.abort(), 100)
    await expect(dial).rejects.toMatchObject({code: 'io', message: expect.stringContaining(`could not connect to peer at 127.0.0.1:${deadPort}`)})
    // Bounded by the abort, not by the 30 s timeout (a generous margin for a loaded machine).
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('stops quickly with live connections and a stream in flight, and the peer sees the close', async () => {
    const a = await start({stopTimeoutMs: 1_000})
    const b = await start()
    b.endpoint.onStream(async () => new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref()))
    const incoming = nextConnection(b.endpoint)
    const atA = await a.endpoint.dial('127.0.0.1', b.port)
    const atB = await incoming
    const inFlight = atA.requestBytes(Buffer.from('slow'), {timeoutMs: 30_000, what: 'slow'}).catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 50))

    const started = Date.now()
    await a.endpoint.stop()
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(await inFlight).toMatchObject({code: 'io'})
    expect(atA.isClosed()).toBe(true)
    expect(a.endpoint.connections()).toEqual([])
    await Promise.race([atB.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('peer never saw the close')), 3_000))])
    await a.endpoint.stop() // idempotent
  })

  it('drops a connection whose peer vanished, after the idle timeout', async () => {
    const b = await start({maxIdleTimeoutMs: 1_000, keepAliveIntervalMs: 300, dialTimeoutMs: 1_000})
    const incoming = nextConnection(b.endpoint)
    const {child} = await dialFromChild(kind, b.port, {maxIdleTimeoutMs: 1_000, keepAliveIntervalMs: 300, dialTimeoutMs: 1_000})
    const atB = await incoming
    // Keep-alives hold a quiet but live connection open past the idle timeout.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(atB.isClosed()).toBe(false)

    child.kill('SIGKILL')
    await child.catch(() => undefined)
    const killedAt = Date.now()
    await Promise.race([atB.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('never dropped')), 5_000))])
    expect(Date.now() - killedAt).toBeLessThan(3_000)
    expect(b.endpoint.connections()).toEqual([])
    // QUIC notices the silence; TCP on loopback hears the kernel's reset of the killed process first.
    expect(atB.closeReason).toMatch(kind === 'quic' ? /idle|time/i : /idle|ECONNRESET|closed/i)
  })

  it('ends up with one connection when two peers dial each other at the same moment', async () => {
    const a = await start()
    const b = await start()
    const peerA = 'aaaaaaaa-0000-4000-8000-000000000000'
    const peerB = 'bbbbbbbb-0000-4000-8000-000000000000'
    const incomingAtA = nextConnection(a.endpoint)
    const incomingAtB = nextConnection(b.endpoint)
    const [outA, outB] = await Promise.all([a.endpoint.dial('127.0.0.1', b.port), b.endpoint.dial('127.0.0.1', a.port)])
    const [inA, inB] = await Promise.all([incomingAtA, incomingAtB])
    expect(a.endpoint.connections()).toHaveLength(2)

    // What the runtime does once Hello has told each end the other's peer_id.
    const keepA = chooseConnection(peerA, peerB, outA, inA)
    const keepB = chooseConnection(peerB, peerA, outB, inB)
    expect(keepA.id).toBe(keepB.id)
    expect(keepA.id).toBe(outA.id) // dialled by the smaller peer_id
    await Promise.all([(keepA === outA ? inA : outA).close(), (keepB === outB ? inB : outB).close()])

    await expect.poll(() => a.endpoint.connections().length, {timeout: 3_000}).toBe(1)
    await expect.poll(() => b.endpoint.connections().length, {timeout: 3_000}).toBe(1)
    expect(a.endpoint.connections()[0]!.id).toBe(b.endpoint.connections()[0]!.id)
    b.endpoint.onStream(echo)
    expect(Buffer.from(await keepA.requestBytes(Buffer.from('one'), request)).toString()).toBe('echo:one')
  })

  it('moves 1 MiB over one stream intact', async () => {
    const a = await start()
    const b = await start()
    const payload = randomBytes(1024 * 1024)
    b.endpoint.onStream(async (stream) => {
      const writer = stream.writable.getWriter()
      for (let offset = 0; offset < payload.length; offset += 256 * 1024) {
        await writer.write(payload.subarray(offset, offset + 256 * 1024))
      }
      await writer.close()
    })
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    const received = await connection.requestBytes(new Uint8Array(0), {timeoutMs: 25_000, what: '1 MiB', maxBytes: payload.length})
    expect(Buffer.compare(Buffer.from(received), payload)).toBe(0)
    // One byte more than the caller accepts is refused, not buffered.
    await expect(connection.requestBytes(new Uint8Array(0), {timeoutMs: 25_000, what: 'capped', maxBytes: payload.length - 1})).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('larger than'),
    })
  }, 40_000)
})

/** A dialler in another process, so it can vanish without a goodbye (SIGKILL). */
async function dialFromChild(kind: TransportName, port: number, settings: Record<string, number>) {
  const tlsDir = path.join(await makeTempDir(), 'tls')
  const certs = path.join(REPO_ROOT, 'src/transport/certs.ts')
  const module = path.join(REPO_ROOT, kind === 'quic' ? 'src/transport/quic.ts' : 'src/transport/portable.ts')
  const name = kind === 'quic' ? 'QuicEndpoint' : 'PortableEndpoint'
  const script = `
    const {loadOrCreateCertificate} = await import(${JSON.stringify(certs)})
    const {${name}: Endpoint} = await import(${JSON.stringify(module)})
    const endpoint = new Endpoint({certificate: await loadOrCreateCertificate(${JSON.stringify(tlsDir)}), settings: ${JSON.stringify(settings)}})
    await endpoint.start({host: '127.0.0.1', port: 0})
    await endpoint.dial('127.0.0.1', ${port})
    console.log('connected')
    setTimeout(() => {}, 60_000)`
  const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {reject: false, timeout: 60_000})
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    void child.then((r) => reject(new Error(`the dialler exited: ${r.stderr}`)))
  })
  // Wrapped: an execa child is a thenable, and returning it from an async function would wait for its exit.
  return {child}
}
