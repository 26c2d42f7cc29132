import {describe, expect, it} from 'vitest'
import type {PeerConnection} from '../../src/transport/endpoint.js'
import {echoHandler, startEndpoint} from '../helpers/quic-endpoints.js'

const echo = echoHandler()

const request = {timeoutMs: 5_000, what: 'traffic test request'}

describe('QUIC endpoint traffic counters', () => {
  it('are zero at start and count what one exchange moves, on both ends, consistently', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
    b.endpoint.onStream(echo)
    expect(a.endpoint.traffic()).toEqual({bytes_in: 0, bytes_out: 0, datagrams_in: 0, datagrams_out: 0})

    const incoming = new Promise<PeerConnection>((resolve) => b.endpoint.on('connection', resolve))
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    await incoming
    const afterHandshake = a.endpoint.traffic()
    expect(afterHandshake.datagrams_out).toBeGreaterThan(0)
    expect(afterHandshake.datagrams_in).toBeGreaterThan(0)

    const payload = Buffer.alloc(50_000, 7)
    const answer = await connection.requestBytes(payload, request)
    expect(Buffer.from(answer).equals(payload)).toBe(true)

    const atA = a.endpoint.traffic()
    // The payload went out and came back: each way at least its size (plus QUIC's overhead).
    expect(atA.bytes_out - afterHandshake.bytes_out).toBeGreaterThanOrEqual(payload.byteLength)
    expect(atA.bytes_in - afterHandshake.bytes_in).toBeGreaterThanOrEqual(payload.byteLength)
    expect(atA.datagrams_out).toBeGreaterThan(afterHandshake.datagrams_out)
    // Nothing lost on loopback once the exchange settled: what one end sent, the other received.
    await connection.close()
    await waitUntil(() => {
      const [sentByA, atB] = [a.endpoint.traffic(), b.endpoint.traffic()]
      return sentByA.bytes_out === atB.bytes_in && atB.bytes_out === sentByA.bytes_in
    })
    const atB = b.endpoint.traffic()
    expect(atB.bytes_in).toBe(a.endpoint.traffic().bytes_out)
    expect(atB.datagrams_in).toBe(a.endpoint.traffic().datagrams_out)
    expect(atB.bytes_out).toBe(a.endpoint.traffic().bytes_in)
  })

  it('still answers after stop, with the last counts', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
    b.endpoint.onStream(echo)
    const connection = await a.endpoint.dial('127.0.0.1', b.port)
    await connection.requestBytes(Buffer.from('hello'), request)
    await a.endpoint.stop()
    const stopped = a.endpoint.traffic()
    expect(stopped.bytes_out).toBeGreaterThan(0)
    expect(a.endpoint.traffic()).toEqual(stopped)
  })
})

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
}
