// One address of a peer (host and listening port) and the one way to write it: `host:port`,
// `[v6]:port`. Discovery, transport and the peer runtime all speak it; it imports nothing.

export interface PeerAddress {
  host: string
  /** The peer's listening (QUIC) port, from its Hello: dialable even when it dialled us. */
  port: number
}

/** A host and port this process listens on: the same words as a peer's address. */
export type ListenAddress = PeerAddress

/** `host:port`, an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

export function formatAddress(address: PeerAddress): string {
  return hostPort(address.host, address.port)
}
