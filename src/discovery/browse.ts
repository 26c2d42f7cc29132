// `lanspread peers` without serve: listen to mDNS for a while (browse only, nothing advertised)
// and report every lanspread peer that answered, as the same PeerInfo serve would list.
import {hostPort} from '../words/address.js'
import type {PeerInfo} from '../words/peer-info.js'
import {chooseInterfaces} from './interfaces.js'
import {MdnsDiscovery} from './mdns.js'
import type {MdnsSocketFactory} from './mdns-socket.js'

export interface BrowseOptions {
  interfaces: string[]
  waitMs: number
  /** Stop as soon as this many peers answered. */
  expect?: number
  log(message: string): void
  createSocket?: MdnsSocketFactory
}

export async function browsePeers(options: BrowseOptions): Promise<{peers: PeerInfo[]; interfaces: string[]}> {
  const interfaces = chooseInterfaces(options.interfaces)
  const mdns = new MdnsDiscovery(
    interfaces,
    {log: (_level, message) => options.log(message), ...(options.createSocket ? {createSocket: options.createSocket} : {})},
    {queryMaxMs: 1000},
  )
  await mdns.start(() => {})
  try {
    const deadline = Date.now() + options.waitMs
    while (Date.now() < deadline && (options.expect === undefined || mdns.seenPeers().length < options.expect))
      await new Promise((resolve) => setTimeout(resolve, 50))
  } finally {
    await mdns.stop()
  }
  const now = new Date().toISOString()
  const peers = mdns.seenPeers().map((peer): PeerInfo => ({
    peer_id: peer.peer_id,
    hostname: peer.hostname,
    addresses: peer.addresses.map((address) => hostPort(address, peer.port)),
    proto_ver: peer.proto_ver,
    library_rev: peer.library_rev,
    library_epoch: peer.library_epoch,
    game_count: peer.game_count,
    last_seen: now,
  }))
  return {peers, interfaces: interfaces.map((iface) => `${iface.name} (${iface.address})`)}
}
