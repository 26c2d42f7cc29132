// The mDNS browser (SPEC §4.1, RFC 6762): asks the LAN for `_lanspread._udp.local` with backoff,
// listing the peers it knows as known answers while half their TTL is left, reports each peer it
// resolves to the runtime again every tick, and drops one that went quiet. Hostile packets are ignored.
import type {Answer} from 'dns-packet'
import type {DiscoveredPeer, FoundPeer} from './discovery.js'
import {HOST_TTL, OTHER_TTL, SERVICE_TYPE, instanceName} from './dns-sd-records.js'
import {type ResolvedInstance, resolveInstances} from './dns-sd-response.js'
import {scopedAddress} from './interfaces.js'
import {txtTransports} from './txt-record.js'
import {splitKnownAnswers} from './known-answers.js'
import type {MdnsBinding, MdnsLink} from './mdns-link.js'
import type {SenderInfo} from './mdns-socket.js'
import type {MdnsTimings} from './mdns-timings.js'

/** A peer seen on the LAN, as `lanspread peers` prints it without serve. */
export interface SeenPeer {
  peer_id: string
  hostname: string
  /** IPv4 first (what is dialled), then IPv6; a link-local IPv6 address carries `%<interface>`. */
  addresses: string[]
  port: number
  proto_ver: number
  library_rev: number
  library_epoch: string
  game_count: number
}

export interface MdnsBrowserComponents {
  now: () => number
}

export class MdnsBrowser {
  /** PTR records heard, for known-answer suppression (RFC 6762 §7.1): the quiet LAN at rest. */
  private readonly known = new Map<string, {ttl: number; heardAt: number}>()
  private readonly seen = new Map<string, SeenPeer & {heardAt: number; report: DiscoveredPeer}>()
  /**
   * Peers the runtime is connected to. Only these go in our known answers: a peer we could
   * not reach keeps answering, is reported again at every browse tick (so its dial is
   * retried with the browse backoff) and is dropped when it stops answering.
   */
  private readonly settled = new Set<string>()
  private report: FoundPeer | undefined
  /** Our own peer_id when the responder runs beside us: never reported, always a known answer. */
  private selfId: string | undefined
  private queryTimer: NodeJS.Timeout | undefined
  private queryDelayMs: number

  constructor(
    private readonly link: MdnsLink,
    private readonly timings: MdnsTimings,
    private readonly components: MdnsBrowserComponents,
  ) {
    this.queryDelayMs = timings.queryMinMs
  }

  /** The first query and the report ticker (the link's sockets are open). */
  start(found: FoundPeer, selfId?: string): void {
    this.report = found
    this.selfId = selfId
    this.query()
    this.reportPeriodically()
  }

  /** Stops the browse backoff (the link stops the report ticker). */
  stop(): void {
    if (this.queryTimer) clearTimeout(this.queryTimer)
  }

  /** The runtime lost this peer: stop claiming to know it and ask the LAN again soon. */
  forget(peerId: string): void {
    this.known.delete(instanceName(peerId))
    this.seen.delete(peerId)
    this.settled.delete(peerId)
    this.queryDelayMs = this.timings.queryMinMs
    this.scheduleQuery(this.timings.queryMinMs)
  }

  /** Every peer resolved so far (and not gone), newest record each. */
  seenPeers(): SeenPeer[] {
    return [...this.seen.values()].map(({heardAt: _heardAt, report: _report, ...peer}) => peer).sort((a, b) => (a.peer_id < b.peer_id ? -1 : 1))
  }

  onResponse(binding: MdnsBinding, packet: unknown, rinfo: SenderInfo): void {
    if (this.link.stopped || typeof packet !== 'object' || packet === null) return
    for (const instance of resolveInstances(packet as object)) this.onInstance(binding, instance, rinfo)
  }

  private reportPeriodically(): void {
    this.link.later(this.timings.reportIntervalMs, () => {
      if (this.link.stopped) return
      this.reportAgain(this.components.now())
      this.reportPeriodically()
    })
  }

  private query(): void {
    if (this.link.stopped) return
    const now = this.components.now()
    // Our own instance is a known answer too: the query loops back to us, and needs no reply from us.
    const answers: Answer[] = this.selfId ? [{name: SERVICE_TYPE, type: 'PTR', ttl: OTHER_TTL, data: instanceName(this.selfId)}] : []
    for (const [instance, {ttl, heardAt}] of this.known) {
      if (!this.settled.has(instance.slice(0, instance.length - SERVICE_TYPE.length - 1))) continue
      const remaining = ttl - Math.floor((now - heardAt) / 1000)
      if (remaining > ttl / 2) answers.push({name: SERVICE_TYPE, type: 'PTR', ttl: remaining, data: instance})
    }
    // Many known peers do not fit one packet: the list continues in packets marked TC.
    const packets = splitKnownAnswers([{name: SERVICE_TYPE, type: 'PTR'}], answers)
    for (const {socket} of this.link.bindings) for (const packet of packets) this.link.guard(() => socket.query(packet))
    this.scheduleQuery(this.queryDelayMs)
    this.queryDelayMs = Math.min(this.queryDelayMs * 2, this.timings.queryMaxMs)
  }

  /** Every report tick: tells the runtime again about each peer heard, and drops the unreachable that went quiet. */
  private reportAgain(now: number): void {
    for (const [peerId, entry] of this.seen) {
      if (!this.settled.has(peerId) && now - entry.heardAt > HOST_TTL * 1000) {
        this.seen.delete(peerId)
        this.known.delete(instanceName(peerId))
        continue
      }
      this.deliver(peerId, entry.report)
    }
  }

  private deliver(peerId: string, peer: DiscoveredPeer): void {
    if (this.report?.(peer) === true) this.settled.add(peerId)
    else this.settled.delete(peerId)
  }

  private scheduleQuery(delayMs: number): void {
    if (this.link.stopped) return
    if (this.queryTimer) clearTimeout(this.queryTimer)
    this.queryTimer = setTimeout(() => this.query(), delayMs)
    this.queryTimer.unref()
  }

  /** The IPv4 address is dialled (the QUIC endpoint listens on IPv4); IPv6 ones are listed. */
  private onInstance(binding: MdnsBinding, instance: ResolvedInstance, rinfo: SenderInfo): void {
    const {txt} = instance
    if (txt.peer_id === this.selfId) return
    // The instance name is the peer_id: a record claiming another peer's name is not believed.
    if (instance.instance !== instanceName(txt.peer_id)) return
    if (instance.goodbye) {
      this.known.delete(instance.instance)
      this.seen.delete(txt.peer_id)
      this.settled.delete(txt.peer_id)
      return
    }
    this.known.set(instance.instance, {ttl: instance.ttl, heardAt: this.components.now()})
    const host = instance.addresses.includes(rinfo.address) || instance.addresses.length === 0 ? rinfo.address : instance.addresses[0]!
    const report: DiscoveredPeer = {
      address: {host, port: instance.port},
      peer_id: txt.peer_id,
      position: {library_epoch: txt.library_epoch, library_rev: txt.library_rev, library_digest: txt.library_digest},
      transports: txtTransports(txt),
      persistent: false,
    }
    this.seen.set(txt.peer_id, {
      peer_id: txt.peer_id,
      hostname: txt.hostname,
      addresses: [
        ...(instance.addresses.length > 0 ? instance.addresses : [rinfo.address]),
        ...instance.addresses6.map((address) => scopedAddress(address, binding.iface.name)),
      ],
      port: instance.port,
      proto_ver: txt.proto_ver,
      library_rev: txt.library_rev,
      library_epoch: txt.library_epoch,
      game_count: txt.game_count,
      heardAt: this.components.now(),
      report,
    })
    this.deliver(txt.peer_id, report)
  }
}
