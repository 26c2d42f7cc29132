// The transport set (record 0033): QUIC where both ends run it, the portable transport
// otherwise; ports laid out as --port (UDP, QUIC) and --port + 1 (TCP, portable).
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadOrCreateCertificate} from '../../src/transport/certs.js'
import type {PeerConnection, TransportSettings} from '../../src/transport/endpoint.js'
import {PortableEndpoint} from '../../src/transport/portable.js'
import {QuicEndpoint} from '../../src/transport/quic.js'
import {loadQuic} from '../../src/transport/quic-loader.js'
import {TransportSet} from '../../src/transport/transport-set.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {echoHandler} from '../helpers/quic-endpoints.js'
import {makeTempDir} from '../helpers/temp-library.js'
import {onTestFinished} from 'vitest'

failOnEscapedErrors()

const settings: Partial<TransportSettings> = {dialTimeoutMs: 500}
const request = {timeoutMs: 5_000, what: 'test request'}

async function startSet(kinds: {quic?: boolean; portable?: boolean}): Promise<{set: TransportSet; port: number}> {
  const certificate = await loadOrCreateCertificate(path.join(await makeTempDir(), 'tls'))
  const set = new TransportSet({
    ...(kinds.quic ? {quic: () => new QuicEndpoint({certificate, settings})} : {}),
    ...(kinds.portable ? {portable: () => new PortableEndpoint({certificate, settings})} : {}),
  })
  onTestFinished(() => set.stop())
  set.onStream(echoHandler('echo:'))
  const {port} = await set.start({host: '127.0.0.1', port: 0})
  return {set, port}
}

async function echoOver(connection: PeerConnection): Promise<string> {
  return Buffer.from(await connection.requestBytes(Buffer.from('hi'), request)).toString()
}

describe('transport set', () => {
  it('lays the portable transport on TCP --port + 1, with QUIC and alone', async () => {
    const both = await startSet({quic: true, portable: true})
    expect(both.set.offer()).toEqual({transports: ['quic', 'portable'], portable_port: both.port + 1})
    const portable = await startSet({portable: true})
    expect(portable.set.offer()).toEqual({transports: ['portable'], portable_port: portable.port + 1})
  })

  it('dials QUIC between two peers that both run it', async () => {
    const a = await startSet({quic: true, portable: true})
    const b = await startSet({quic: true, portable: true})
    const connection = await a.set.dial('127.0.0.1', b.port)
    expect(connection.transport).toBe('quic')
    expect(await echoOver(connection)).toBe('echo:hi')
  })

  it('meets a peer without QUIC over the portable transport, from either side', async () => {
    const withQuic = await startSet({quic: true, portable: true})
    const without = await startSet({portable: true})
    // A static address says nothing: QUIC is tried, then the portable transport.
    const outbound = await withQuic.set.dial('127.0.0.1', without.port)
    expect(outbound.transport).toBe('portable')
    expect(await echoOver(outbound)).toBe('echo:hi')
    const inbound = await without.set.dial('127.0.0.1', withQuic.port)
    expect(inbound.transport).toBe('portable')
    expect(await echoOver(inbound)).toBe('echo:hi')
  })

  it('dials what an announced peer speaks, and refuses a peer with no transport in common', async () => {
    const a = await startSet({quic: true, portable: true})
    const b = await startSet({quic: true, portable: true})
    const announcedPortable = await a.set.dial('127.0.0.1', b.port, {peer: {transports: ['portable'], portable_port: b.port + 1}})
    expect(announcedPortable.transport).toBe('portable')
    const quicOnly = await startSet({quic: true})
    await expect(quicOnly.set.dial('127.0.0.1', b.port, {peer: {transports: ['portable']}})).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining('speaks portable, this peer quic'),
    })
  })

  it('reports QUIC missing when LANSPREAD_QUIC=0, and loads it otherwise', async () => {
    expect(await loadQuic({LANSPREAD_QUIC: '0'})).toEqual({available: false, reason: 'turned off (LANSPREAD_QUIC=0)'})
    expect((await loadQuic({})).available).toBe(true)
  })
})
