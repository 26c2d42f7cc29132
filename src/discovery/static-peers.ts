// Static peers (`serve --peer HOST:PORT`) as a discovery source: for networks where
// multicast is blocked, and for tests on loopback. Each address is reported once, as
// persistent: the runtime keeps dialling it while it is down.
import {LanspreadError} from '../errors.js'
import type {PeerAddress} from '../words/address.js'
import type {DiscoveredPeer, DiscoverySource} from './discovery.js'

export class StaticPeers implements DiscoverySource {
  readonly name = 'static'

  constructor(private readonly addresses: readonly PeerAddress[]) {}

  async start(found: (peer: DiscoveredPeer) => void): Promise<void> {
    for (const address of this.addresses) found({address, persistent: true})
  }

  async stop(): Promise<void> {}
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`. */
export function parsePeerAddress(text: string): PeerAddress {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text)
  const port = match ? Number(match[2]) : NaN
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new LanspreadError('usage', `--peer ${text} is not HOST:PORT`, {
      hint: 'give the address and QUIC port of another serve, e.g. --peer 192.168.1.20:4870 or --peer [fe80::1]:4870',
    })
  }
  return {host: match[1]!, port}
}
