// A fake multicast LAN for unit tests of mDNS discovery: sockets with the `multicast-dns` API
// whose packets go through the real dns-packet encoder to every socket (no real network).
import dnsPacket from 'dns-packet'
import type {MdnsInterface} from '../../src/discovery/interfaces.js'
import type {MdnsSocket, MdnsSocketFactory, SenderInfo} from '../../src/discovery/mdns-socket.js'

type Listener = (...args: never[]) => void

export interface SentPacket {
  from: string
  to: SenderInfo | 'multicast'
  packet: dnsPacket.Packet
  bytes: number
}

export class FakeLan {
  readonly sent: SentPacket[] = []
  private readonly sockets = new Set<{iface: MdnsInterface; listeners: Map<string, Listener[]>; port: number}>()

  readonly factory: MdnsSocketFactory = (iface) => this.socket(iface)

  /** A socket on the LAN; `port` other than 5353 makes a legacy unicast querier. */
  socket(iface: MdnsInterface, port = 5353): MdnsSocket {
    const entry = {iface, listeners: new Map<string, Listener[]>(), port}
    this.sockets.add(entry)
    const socket: MdnsSocket = {
      on: (event: string, listener: Listener) => {
        entry.listeners.set(event, [...(entry.listeners.get(event) ?? []), listener])
        return socket
      },
      query: (packet) => this.deliver(entry, {type: 'query', ...packet}, undefined),
      respond: (packet, rinfo, callback) => {
        this.deliver(entry, {type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER, ...packet}, rinfo)
        callback(null)
      },
      destroy: (callback) => {
        this.sockets.delete(entry)
        callback?.()
      },
    }
    return socket
  }

  /** Delivers a packet (decoded or any object) as if it came from `from`. */
  inject(event: 'query' | 'response', packet: unknown, from: SenderInfo = {address: '10.9.9.9', port: 5353}): void {
    for (const socket of this.sockets) for (const listener of socket.listeners.get(event) ?? []) (listener as (p: unknown, r: SenderInfo) => void)(packet, from)
  }

  /** The host at `address` vanishes without a word (its sockets neither send nor receive). */
  silence(address: string): void {
    for (const socket of this.sockets) if (socket.iface.address === address) this.sockets.delete(socket)
  }

  responses(): SentPacket[] {
    return this.sent.filter((sent) => sent.packet.type === 'response')
  }

  queries(): SentPacket[] {
    return this.sent.filter((sent) => sent.packet.type === 'query')
  }

  private deliver(from: {iface: MdnsInterface; port: number}, packet: dnsPacket.Packet, to: SenderInfo | undefined): void {
    const wire = dnsPacket.encode(packet)
    const decoded = dnsPacket.decode(wire)
    this.sent.push({from: from.iface.address, to: to ?? 'multicast', packet: decoded, bytes: wire.length})
    const rinfo = {address: from.iface.address, port: from.port}
    const event = decoded.type === 'query' ? 'query' : 'response'
    for (const socket of this.sockets) {
      if (to && !(socket.iface.address === to.address && socket.port === to.port)) continue
      for (const listener of socket.listeners.get(event) ?? []) (listener as (p: unknown, r: SenderInfo) => void)(decoded, rinfo)
    }
  }
}
