// The peer transports' names and what a peer says it speaks (Hello features, the mDNS TXT
// record): shared by discovery, transport and the runtime, so it imports nothing.

/** QUIC where its native module loads; portable (HTTP/2 over TLS on TCP) everywhere (record 0033). */
export type TransportName = 'quic' | 'portable'

export const TRANSPORT_NAMES: readonly TransportName[] = ['quic', 'portable']

/** What is known of a peer's transports before dialling it; a static address knows nothing. */
export interface PeerTransports {
  transports: TransportName[]
  /** Its portable transport's TCP port (by default its --port + 1). */
  portable_port?: number
}

/** The portable transport listens on TCP at the peer's port + 1 unless it says otherwise. */
export function defaultPortablePort(port: number): number {
  return port + 1
}

/** `serve --transport`: auto runs QUIC where it loads and the portable one always. */
export type TransportMode = 'quic' | 'portable' | 'auto'

export const TRANSPORT_MODES: readonly TransportMode[] = ['auto', 'quic', 'portable']
