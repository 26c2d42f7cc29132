// Which peer transports a runtime runs (`serve --transport quic|portable|auto`, record 0033):
// QUIC only where it loads, the portable one always in auto, so a peer without QUIC and a QUIC
// peer still meet. Said once, in the `transports` line of serve's log and in `status`.
import {LanspreadError} from '../errors.js'
import type {TransportLog, TransportSettings} from '../transport/endpoint.js'
import {PortableEndpoint} from '../transport/portable.js'
import {loadQuic} from '../transport/quic-loader.js'
import type {Certificate} from '../transport/transport-settings.js'
import {TransportSet} from '../transport/transport-set.js'
import type {TransportMode} from '../words/transports.js'

export {TRANSPORT_MODES, type TransportMode} from '../words/transports.js'

export interface TransportChoice {
  endpoint: TransportSet
  /** Why QUIC does not run, when it does not (turned off, not loadable, not asked for). */
  quicMissing: string | undefined
}

export async function chooseTransports(
  mode: TransportMode,
  init: {certificate: Certificate; settings?: Partial<TransportSettings>},
  log: TransportLog,
): Promise<TransportChoice> {
  const portable = () => new PortableEndpoint(init, {log})
  if (mode === 'portable') return {endpoint: new TransportSet({portable}), quicMissing: 'not asked for (--transport portable)'}
  const quic = await loadQuic()
  if (!quic.available) {
    if (mode === 'quic') {
      throw new LanspreadError('usage', `--transport quic was asked for, but QUIC is ${quic.reason}`, {
        hint: 'use --transport auto (the default) or portable: peers meet over HTTP/2 over TLS instead',
      })
    }
    return {endpoint: new TransportSet({portable}), quicMissing: quic.reason}
  }
  const makeQuic = () => quic.factory.create(init, {log})
  if (mode === 'quic') return {endpoint: new TransportSet({quic: makeQuic}), quicMissing: undefined}
  return {endpoint: new TransportSet({quic: makeQuic, portable}), quicMissing: undefined}
}

/** The line serve prints once: which transports run, on which ports. */
export function describeTransports(endpoint: TransportSet, quicMissing: string | undefined): string {
  const offer = endpoint.offer()
  const {port} = endpoint.address()
  const parts = offer.transports.map((name) => (name === 'quic' ? `QUIC on UDP ${port}` : `portable (HTTP/2 over TLS) on TCP ${offer.portable_port}`))
  return `peer transports: ${parts.join(', ')}${quicMissing ? `; QUIC ${quicMissing}` : ''}`
}
