// The peer transports the peer-involving tests run over (record 0033): every such suite runs
// once over QUIC and once over the portable transport, with QUIC missing as on Windows.
import type {TransportName} from '../../src/words/transports.js'

export const PEER_TRANSPORTS: readonly TransportName[] = ['quic', 'portable']

/** The environment of a serve or CLI process over `kind`: the portable run has no QUIC (LANSPREAD_QUIC=0). */
export function transportEnv(kind: TransportName): Record<string, string> {
  return kind === 'portable' ? {LANSPREAD_QUIC: '0'} : {}
}
