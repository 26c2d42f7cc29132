// A QUICConnection opens no stream from the moment its stop begins, while the stop waits for
// quiche's draining timer before closedP settles: the runtime must see it as closed at once,
// or the peer looks connected, every pull fails and nobody redials it (bench:lan, 40 peers).
import {events as quicEvents, type QUICConnection} from '@matrixai/quic'
import {describe, expect, it} from 'vitest'
import {QuicPeerConnection} from '../../src/transport/quic-connection.js'
import {startEndpoint} from '../helpers/quic-endpoints.js'

/** Stands in for a QUICConnection whose closedP never settles: only the stop event can close it. */
class StoppingConnection extends EventTarget {
  readonly closed = false
  readonly closedP = new Promise<void>(() => {})
  readonly connectionIdShared = Buffer.from('c0ffee')
  readonly remoteHost = '127.0.0.1'
  readonly remotePort = 4870
  constructor(private readonly certificate: Uint8Array) {
    super()
  }
  getRemoteCertsChain(): Uint8Array[] {
    return [this.certificate]
  }
}

describe('QuicPeerConnection', () => {
  it('counts as closed (and settles closed) from the moment its QUIC connection starts stopping, before closedP settles', async () => {
    const {identity} = await startEndpoint()
    const der = new Uint8Array(Buffer.from(identity.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))
    const quic = new StoppingConnection(der)
    const connection = new QuicPeerConnection(quic as unknown as QUICConnection, 'outbound', {
      log: () => {},
      streamHandler: () => undefined,
      stop: async () => {},
    })
    expect(connection.isClosed()).toBe(false)
    quic.dispatchEvent(new quicEvents.EventQUICConnectionStop())
    expect(connection.isClosed()).toBe(true)
    await expect(connection.closed).resolves.toBeUndefined()
  })
})
