// Discovery over mDNS / DNS-SD (SPEC §4.1): advertises this peer as `_lanspread._udp.local`,
// answers browsers, announces at start and on every library revision, says goodbye at stop,
// and browses with backoff, reporting each peer it resolves. Hostile packets are ignored.
import type {Answer} from 'dns-packet'
import {errorMessage} from '../errors.js'
import type {AdvertisedLibrary, DiscoveredPeer, DiscoverySource, FoundPeer, LocalPeer} from './discovery.js'
import {
  type Advertisement,
  HOST_TTL,
  OTHER_TTL,
  SERVICES_ENUMERATION,
  SERVICE_TYPE,
  addressRecords,
  browseAnswer,
  enumerationAnswer,
  hostTarget,
  instanceName,
  instanceRecords,
  announcement,
} from './dns-sd-records.js'
import {type ResolvedInstance, resolveInstances} from './dns-sd-response.js'
import {type MdnsInterface, scopedAddress} from './interfaces.js'
import {TruncatedQueries, alreadyKnown, isTruncated, splitKnownAnswers} from './known-answers.js'
import {DEFAULT_MDNS_TIMINGS, type MdnsTimings} from './mdns-timings.js'
import {type MdnsSocket, type MdnsSocketFactory, type SenderInfo, multicastSocket} from './mdns-socket.js'
import {PROTOCOL_VERSION} from '../protocol/messages.js'

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

export interface MdnsComponents {
  createSocket?: MdnsSocketFactory
  log(level: 'info' | 'warn', message: string): void
  now?: () => number
  random?: () => number
}

interface Bound {
  iface: MdnsInterface
  socket: MdnsSocket
  /** When our PTR last went out by multicast here (answer or announcement), for the rate limit. */
  lastPtrAt: number
  /** A delayed browse answer is scheduled here. */
  answerPending: boolean
}

const PORT_MDNS = 5353

export class MdnsDiscovery implements DiscoverySource {
  readonly name = 'mdns'
  private readonly timings: MdnsTimings
  private readonly bound: Bound[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  /** PTR records heard, for known-answer suppression (RFC 6762 §7.1): the quiet LAN at rest. */
  private readonly known = new Map<string, {ttl: number; heardAt: number}>()
  private readonly seen = new Map<string, SeenPeer & {heardAt: number; report: DiscoveredPeer}>()
  /**
   * Peers the runtime is connected to. Only these go in our known answers: a peer we could
   * not reach keeps answering, is reported again at every browse tick (so its dial is
   * retried with the browse backoff) and is dropped when it stops answering.
   */
  private readonly settled = new Set<string>()
  private self: LocalPeer | undefined
  private report: FoundPeer | undefined
  private queryTimer: NodeJS.Timeout | undefined
  private queryDelayMs: number
  private announceRun = 0
  private stopped = false
  private warned = false
  private readonly now: () => number
  private readonly random: () => number
  private readonly truncated: TruncatedQueries

  constructor(
    private readonly interfaces: readonly MdnsInterface[],
    private readonly components: MdnsComponents,
    timings: Partial<MdnsTimings> = {},
  ) {
    this.timings = {...DEFAULT_MDNS_TIMINGS, ...timings}
    this.queryDelayMs = this.timings.queryMinMs
    this.now = components.now ?? Date.now
    this.random = components.random ?? Math.random
    this.truncated = new TruncatedQueries({
      waitMinMs: this.timings.truncatedWaitMinMs,
      waitMaxMs: this.timings.truncatedWaitMaxMs,
      random: this.random,
      later: (delayMs, run) => this.later(delayMs, run),
    })
  }

  /** Browses; with `self`, advertises this peer too (`lanspread peers` without serve only browses). */
  async start(found: FoundPeer, self?: LocalPeer): Promise<void> {
    this.report = found
    this.self = self
    const create = this.components.createSocket ?? multicastSocket
    for (const iface of this.interfaces) {
      const socket = create(iface)
      const bound: Bound = {iface, socket, lastPtrAt: -Infinity, answerPending: false}
      socket.on('query', (packet, rinfo) => this.guard(() => this.onQuery(bound, packet, rinfo)))
      socket.on('response', (packet, rinfo) => this.guard(() => this.onResponse(bound, packet, rinfo)))
      socket.on('error', (error) =>
        this.components.log(
          'warn',
          `mDNS on ${iface.name} (${iface.address}) failed: ${errorMessage(error)}; discovery there is off (--peer HOST:PORT still works)`,
        ),
      )
      socket.on('warning', (error) => this.warnOnce(`mDNS on ${iface.name} (${iface.address}): ${errorMessage(error)}`))
      this.bound.push(bound)
    }
    if (this.bound.length === 0)
      this.components.log('warn', 'mDNS has no interface to run on (no non-internal IPv4 interface); use --interface or --peer HOST:PORT')
    this.query()
    if (self) this.announceRepeatedly()
    this.reportPeriodically()
  }

  /** Our library moved: announce the new TXT (the runtime calls this on each local revision). */
  announce(library: AdvertisedLibrary): void {
    if (!this.self || this.stopped) return
    this.self = {...this.self, library}
    this.announceRepeatedly()
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

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    if (this.queryTimer) clearTimeout(this.queryTimer)
    if (this.self)
      await Promise.all(this.bound.map((bound) => this.send(bound, announcement(this.advertisement(bound.iface), true), undefined, this.timings.goodbyeWaitMs)))
    await Promise.all(this.bound.map((bound) => new Promise<void>((resolve) => bound.socket.destroy(() => resolve()))))
  }

  private advertisement(iface: MdnsInterface): Advertisement {
    const self = this.self!
    return {
      port: self.port,
      addresses: [iface.address],
      addresses6: iface.addresses6 ?? [],
      txt: {peer_id: self.peer_id, proto_ver: PROTOCOL_VERSION, ...self.library, hostname: self.hostname.slice(0, 200), cert: self.cert_fingerprint},
    }
  }

  private announceRepeatedly(): void {
    const run = ++this.announceRun
    for (let i = 0; i < this.timings.announceCount; i++) {
      this.later(i * this.timings.announceIntervalMs, () => {
        if (run !== this.announceRun || this.stopped) return
        for (const bound of this.bound) {
          bound.lastPtrAt = this.now()
          void this.send(bound, announcement(this.advertisement(bound.iface)))
        }
      })
    }
  }

  private reportPeriodically(): void {
    this.later(this.timings.reportIntervalMs, () => {
      if (this.stopped) return
      this.reportAgain(this.now())
      this.reportPeriodically()
    })
  }

  private query(): void {
    if (this.stopped) return
    const now = this.now()
    // Our own instance is a known answer too: the query loops back to us, and needs no reply from us.
    const answers: Answer[] = this.self ? [{name: SERVICE_TYPE, type: 'PTR', ttl: OTHER_TTL, data: instanceName(this.self.peer_id)}] : []
    for (const [instance, {ttl, heardAt}] of this.known) {
      if (!this.settled.has(instance.slice(0, instance.length - SERVICE_TYPE.length - 1))) continue
      const remaining = ttl - Math.floor((now - heardAt) / 1000)
      if (remaining > ttl / 2) answers.push({name: SERVICE_TYPE, type: 'PTR', ttl: remaining, data: instance})
    }
    // Many known peers do not fit one packet: the list continues in packets marked TC.
    const packets = splitKnownAnswers([{name: SERVICE_TYPE, type: 'PTR'}], answers)
    for (const {socket} of this.bound) for (const packet of packets) this.guard(() => socket.query(packet))
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
    if (this.stopped) return
    if (this.queryTimer) clearTimeout(this.queryTimer)
    this.queryTimer = setTimeout(() => this.query(), delayMs)
    this.queryTimer.unref()
  }

  private onQuery(bound: Bound, packet: unknown, rinfo: SenderInfo): void {
    if (!this.self || this.stopped) return
    const {questions, answers: knownAnswers} = packet as {questions?: unknown; answers?: unknown}
    if (!Array.isArray(questions)) return
    const ad = this.advertisement(bound.iface)
    const instance = instanceName(ad.txt.peer_id)
    const target = hostTarget(ad.txt.peer_id)
    const querier = `${bound.iface.name} ${rinfo.address}:${rinfo.port}`
    if (questions.length === 0) return this.truncated.continued(querier, alreadyKnown(knownAnswers, instance))
    const answers: Answer[] = []
    let additionals: Answer[] = []
    let browse = false
    for (const question of questions as {name?: unknown; type?: unknown}[]) {
      const name = typeof question?.name === 'string' ? question.name.toLowerCase() : ''
      const type = question?.type
      const any = type === 'ANY'
      if (name === SERVICE_TYPE && (type === 'PTR' || any)) {
        if (!alreadyKnown(knownAnswers, instance)) browse = true
      } else if (name === SERVICES_ENUMERATION && (type === 'PTR' || any)) {
        answers.push(...enumerationAnswer().answers)
      } else if (name === instance && (type === 'SRV' || type === 'TXT' || any)) {
        answers.push(...instanceRecords(ad).filter((record) => record.name === instance && (any || record.type === type)))
        if (type === 'SRV') additionals = addressRecords(ad)
      } else if (name === target && (type === 'A' || type === 'AAAA' || any)) {
        answers.push(...addressRecords(ad).filter((record) => any || record.type === type))
      }
    }
    // A query from a port other than 5353 is a legacy unicast query (RFC 6762 §6.7): answer it directly.
    const legacy = rinfo.port !== PORT_MDNS
    if (browse && !legacy && isTruncated(packet as object)) {
      this.truncated.defer(querier, () => this.answerBrowseLater(bound))
      browse = false
    }
    if (browse && (legacy || !this.delayBrowseAnswer(bound))) {
      const reply = browseAnswer(ad)
      answers.push(...reply.answers)
      additionals = reply.additionals
      if (!legacy) bound.lastPtrAt = this.now()
    }
    if (answers.length === 0) return
    const extra = additionals.filter((record) => !answers.some((answer) => answer.type === record.type && answer.name === record.name))
    const id = (packet as {id?: unknown}).id
    void this.send(bound, {answers, additionals: extra, ...(legacy && typeof id === 'number' ? {id} : {})}, legacy ? rinfo : undefined)
  }

  /** The answer to a truncated browse query once its known answers are all in: delayed and rate-limited as usual. */
  private answerBrowseLater(bound: Bound): void {
    if (this.stopped || !this.self || this.delayBrowseAnswer(bound)) return
    bound.lastPtrAt = this.now()
    void this.send(bound, browseAnswer(this.advertisement(bound.iface)))
  }

  /**
   * Schedules the multicast answer to a browse query (RFC 6762 §6: a shared record waits
   * 20–120 ms, and goes out at most once a second per interface); queries arriving meanwhile
   * share it. False when it may go out at once (no delay configured, as in unit tests).
   */
  private delayBrowseAnswer(bound: Bound): boolean {
    if (bound.answerPending) return true
    const {answerDelayMinMs: min, answerDelayMaxMs: max, answerIntervalMs} = this.timings
    const now = this.now()
    const wait = Math.max(min + Math.round(this.random() * (max - min)), bound.lastPtrAt + answerIntervalMs - now)
    if (wait <= 0) return false
    bound.answerPending = true
    this.later(wait, () => {
      bound.answerPending = false
      if (this.stopped || !this.self) return
      bound.lastPtrAt = this.now()
      void this.send(bound, browseAnswer(this.advertisement(bound.iface)))
    })
    return true
  }

  private onResponse(bound: Bound, packet: unknown, rinfo: SenderInfo): void {
    if (this.stopped || typeof packet !== 'object' || packet === null) return
    for (const instance of resolveInstances(packet as object)) this.onInstance(bound, instance, rinfo)
  }

  /** The IPv4 address is dialled (the QUIC endpoint listens on IPv4); IPv6 ones are listed. */
  private onInstance(bound: Bound, instance: ResolvedInstance, rinfo: SenderInfo): void {
    const {txt} = instance
    if (txt.peer_id === this.self?.peer_id) return
    // The instance name is the peer_id: a record claiming another peer's name is not believed.
    if (instance.instance !== instanceName(txt.peer_id)) return
    if (instance.goodbye) {
      this.known.delete(instance.instance)
      this.seen.delete(txt.peer_id)
      this.settled.delete(txt.peer_id)
      return
    }
    this.known.set(instance.instance, {ttl: instance.ttl, heardAt: this.now()})
    const host = instance.addresses.includes(rinfo.address) || instance.addresses.length === 0 ? rinfo.address : instance.addresses[0]!
    const report: DiscoveredPeer = {
      address: {host, port: instance.port},
      peer_id: txt.peer_id,
      position: {library_epoch: txt.library_epoch, library_rev: txt.library_rev, library_digest: txt.library_digest},
      persistent: false,
    }
    this.seen.set(txt.peer_id, {
      peer_id: txt.peer_id,
      hostname: txt.hostname,
      addresses: [
        ...(instance.addresses.length > 0 ? instance.addresses : [rinfo.address]),
        ...instance.addresses6.map((address) => scopedAddress(address, bound.iface.name)),
      ],
      port: instance.port,
      proto_ver: txt.proto_ver,
      library_rev: txt.library_rev,
      library_epoch: txt.library_epoch,
      game_count: txt.game_count,
      heardAt: this.now(),
      report,
    })
    this.deliver(txt.peer_id, report)
  }

  private send(bound: Bound, packet: {answers: Answer[]; additionals?: Answer[]; id?: number}, rinfo?: SenderInfo, waitMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = waitMs === undefined ? undefined : setTimeout(resolve, waitMs)
      this.guard(() =>
        bound.socket.respond(packet, rinfo, (error) => {
          if (timer) clearTimeout(timer)
          if (error) this.warnOnce(`mDNS send on ${bound.iface.name} (${bound.iface.address}) failed: ${errorMessage(error)}`)
          resolve()
        }),
      )
      if (waitMs === undefined) resolve()
    })
  }

  private later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.guard(run)
    }, delayMs)
    timer.unref()
    this.timers.add(timer)
  }

  /** A packet we cannot handle is dropped; it never takes serve down. */
  private guard(run: () => void): void {
    try {
      run()
    } catch (error) {
      this.warnOnce(`an mDNS packet was ignored: ${errorMessage(error)}`)
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return
    this.warned = true
    this.components.log('warn', `${message} (further mDNS warnings are not shown)`)
  }
}
