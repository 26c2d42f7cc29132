// What only the portable transport does: HTTP/2 lets only the dialler open streams, so the
// accepting side asks over the reverse session inside the connection; strangers that do not
// speak HTTP/2 over TLS are closed.
import {randomBytes} from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import {describe, expect, it} from 'vitest'
import type {PeerConnection} from '../../src/transport/endpoint.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {startEndpointOf} from '../helpers/quic-endpoints.js'

failOnEscapedErrors()

function nextConnection(endpoint: {on(event: 'connection', l: (c: PeerConnection) => void): () => void}): Promise<PeerConnection> {
  return new Promise((resolve) => {
    const off = endpoint.on('connection', (c) => {
      off()
      resolve(c)
    })
  })
}

describe('portable endpoint', () => {
  it('carries a 4 MiB answer to a request from the accepting side (over the reverse session)', async () => {
    const a = await startEndpointOf('portable')
    const b = await startEndpointOf('portable')
    const payload = randomBytes(4 * 1024 * 1024)
    a.endpoint.onStream(async (stream) => {
      for await (const _ of stream.readable);
      const writer = stream.writable.getWriter()
      await writer.write(payload)
      await writer.close()
    })
    const incoming = nextConnection(b.endpoint)
    await a.endpoint.dial('127.0.0.1', b.port)
    const atB = await incoming
    const received = await atB.requestBytes(Buffer.from('give'), {timeoutMs: 20_000, what: 'a chunk', maxBytes: payload.length})
    expect(Buffer.compare(Buffer.from(received), payload)).toBe(0)
  })

  it('closes a TLS client that does not speak HTTP/2, and a TCP client that never handshakes', async () => {
    const b = await startEndpointOf('portable', {dialTimeoutMs: 500})
    const stranger = tls.connect({host: '127.0.0.1', port: b.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1']})
    stranger.on('error', () => undefined)
    const silent = net.connect({host: '127.0.0.1', port: b.port})
    silent.on('error', () => undefined)
    await Promise.all([new Promise((resolve) => stranger.once('close', resolve)), new Promise((resolve) => silent.once('close', resolve))])
    expect(b.endpoint.connections()).toEqual([])
  })
})
