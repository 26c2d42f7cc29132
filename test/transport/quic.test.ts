// What only the QUIC endpoint does: one UDP socket for serving and dialling, its settings checked;
// the contract both transports keep is test/transport/endpoint-contract.test.ts.
import {describe, expect, it} from 'vitest'
import {QuicEndpoint} from '../../src/transport/quic.js'
import {failOnEscapedErrors} from '../helpers/escaped-errors.js'
import {echoHandler, nextConnection, startEndpoint, udpAddressesOfThisProcess} from '../helpers/quic-endpoints.js'

const echo = echoHandler('echo:')

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
})

describe('transport settings', () => {
  it('refuses settings that would never time out or that QUIC would reject at the first dial', () => {
    const certificate = {certPem: '', keyPem: ''}
    for (const settings of [{maxIdleTimeoutMs: 0}, {keepAliveIntervalMs: 60_000}, {udpPayloadBytes: 70_000}]) {
      expect(() => new QuicEndpoint({certificate, settings})).toThrow(expect.objectContaining({code: 'invalid_input'}))
    }
  })
})
