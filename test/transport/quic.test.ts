import {randomBytes} from 'node:crypto'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import type {PeerConnection} from '../../src/transport/endpoint.js'
import {chooseConnection} from '../../src/transport/choose-connection.js'
import {QuicEndpoint} from '../../src/transport/quic.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {echoHandler, startEndpoint, udpAddressesOfThisProcess} from '../helpers/quic-endpoints.js'
import {makeTempDir} from '../helpers/temp-library.js'

const echo = echoHandler('echo:')

function nextConnection(endpoint: {on(event: 'connection', l: (c: PeerConnection) => void): () => void}): Promise<PeerConnection> {
  return new Promise((resolve) => {
    const off = endpoint.on('connection', (c) => {
      off()
      resolve(c)
    })
  })
}

const request = {timeoutMs: 5_000, what: 'test request'}

failOnEscapedErrors()

describe('QUIC endpoint', () => {
  it('exchanges bytes both ways on one connection, each end seeing the other certificate', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    // One socket per endpoint: the dialler's connection comes from its listening port.
    expect(atB.remotePort).toBe(a.port)

    expect(Buffer.from(await atA.requestBytes(Buffer.from('ping from a'), request)).toString()).toBe('echo:ping from a')
    expect(Buffer.from(await atB.requestBytes(Buffer.from('ping from b'), request)).toString()).toBe('echo:ping from b')
    const answers = await Promise.all(
      Array.from({length: 20}, (_, i) => atA.requestBytes(Buffer.from(`n${i}`), request).then((r) => Buffer.from(r).toString())),
    )
    expect(answers).toEqual(Array.from({length: 20}, (_, i) => `echo:n${i}`))
  })

  it('binds nothing but 127.0.0.1 when told to, dialling included', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
    await a.endpoint.dial('127.0.0.1', b.port)
    const addresses = await udpAddressesOfThisProcess()
    expect(addresses.sort()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort())
    expect(a.endpoint.bufferSizes!.recv).toBeGreaterThanOrEqual(256 * 1024)
  })

  it('times out a request that gets no answer, resets its stream, and keeps the connection', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint({stopTimeoutMs: 1_000})
    const b = await startEndpoint()
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
    expect(await udpAddressesOfThisProcess()).toEqual([`127.0.0.1:${b.port}`])
    await a.endpoint.stop() // idempotent
  })

  it('drops a connection whose peer vanished, after the idle timeout', async () => {
    const b = await startEndpoint({maxIdleTimeoutMs: 1_000, keepAliveIntervalMs: 300, dialTimeoutMs: 1_000})
    const incoming = nextConnection(b.endpoint)
    const {child} = await dialFromChild(b.port, {maxIdleTimeoutMs: 1_000, keepAliveIntervalMs: 300, dialTimeoutMs: 1_000})
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
    expect(atB.closeReason).toMatch(/idle|time/i)
  })

  it('ends up with one connection when two peers dial each other at the same moment', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
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
    const a = await startEndpoint()
    const b = await startEndpoint()
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
async function dialFromChild(port: number, settings: Record<string, number>) {
  const tlsDir = path.join(await makeTempDir(), 'tls')
  const certs = path.join(REPO_ROOT, 'src/transport/certs.ts')
  const quic = path.join(REPO_ROOT, 'src/transport/quic.ts')
  const script = `
    const {loadOrCreateCertificate} = await import(${JSON.stringify(certs)})
    const {QuicEndpoint} = await import(${JSON.stringify(quic)})
    const endpoint = new QuicEndpoint({certificate: await loadOrCreateCertificate(${JSON.stringify(tlsDir)}), settings: ${JSON.stringify(settings)}})
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

describe('transport settings', () => {
  it('refuses settings that would never time out or that QUIC would reject at the first dial', () => {
    const certificate = {certPem: '', keyPem: ''}
    for (const settings of [{maxIdleTimeoutMs: 0}, {keepAliveIntervalMs: 60_000}, {udpPayloadBytes: 70_000}]) {
      expect(() => new QuicEndpoint({certificate, settings})).toThrow(expect.objectContaining({code: 'invalid_input'}))
    }
  })
})
