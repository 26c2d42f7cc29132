// The discovery sources of a peer from its flags: static `--peer` addresses, and mDNS on the
// chosen interfaces unless `--no-mdns` (or LANSPREAD_MDNS=0, which test suites set as a guard).
import type {PeerAddress} from '../words/address.js'
import type {DiscoverySource} from './discovery.js'
import {chooseInterfaces} from './interfaces.js'
import {MdnsDiscovery} from './mdns.js'
import {mdnsAllowed} from './mdns-switch.js'
import {StaticPeers} from './static-peers.js'

export interface DiscoveryFlags {
  staticPeers: PeerAddress[]
  mdns: boolean
  /** `--interface NAME|ADDRESS` values; empty: every non-internal IPv4 interface. */
  interfaces: string[]
}

export function discoverySources(flags: DiscoveryFlags, log: (level: 'info' | 'warn', message: string) => void): DiscoverySource[] {
  const sources: DiscoverySource[] = [new StaticPeers(flags.staticPeers)]
  if (mdnsAllowed(flags.mdns)) sources.push(new MdnsDiscovery(chooseInterfaces(flags.interfaces), {log}))
  return sources
}
