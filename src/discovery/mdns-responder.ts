// The mDNS responder (SPEC §4.1, RFC 6762): advertises this peer's DNS-SD records, answers the
// queries of browsers (delayed, rate-limited, known answers honoured), announces at start and on
// every library revision, and says goodbye at stop. It browses nothing: mdns-browser.ts does.
import type {Answer} from 'dns-packet'
import type {AdvertisedLibrary, LocalPeer} from './discovery.js'
import {
  type Advertisement,
  SERVICES_ENUMERATION,
  SERVICE_TYPE,
  addressRecords,
  announcement,
  browseAnswer,
  enumerationAnswer,
  hostTarget,
  instanceName,
  instanceRecords,
} from './dns-sd-records.js'
import type {MdnsInterface} from './interfaces.js'
import {TruncatedQueries, alreadyKnown, isTruncated} from './known-answers.js'
import type {MdnsBinding, MdnsLink} from './mdns-link.js'
import type {SenderInfo} from './mdns-socket.js'
import type {MdnsTimings} from './mdns-timings.js'
import {PROTOCOL_VERSION} from '../protocol/messages.js'

export interface MdnsResponderComponents {
  now: () => number
  random: () => number
}

/** The pace of our browse answers on one interface. */
interface AnswerPace {
  /** When our PTR last went out by multicast here (answer or announcement), for the rate limit. */
  lastPtrAt: number
  /** A delayed browse answer is scheduled here. */
  answerPending: boolean
}

const PORT_MDNS = 5353

export class MdnsResponder {
  private readonly paces = new Map<MdnsBinding, AnswerPace>()
  private readonly truncated: TruncatedQueries
  private announceRun = 0

  constructor(
    private readonly link: MdnsLink,
    private self: LocalPeer,
    private readonly timings: MdnsTimings,
    private readonly components: MdnsResponderComponents,
  ) {
    this.truncated = new TruncatedQueries({
      waitMinMs: timings.truncatedWaitMinMs,
      waitMaxMs: timings.truncatedWaitMaxMs,
      random: components.random,
      later: (delayMs, run) => link.later(delayMs, run),
    })
  }

  /** The first announcements (the link's sockets are open). */
  start(): void {
    this.announceRepeatedly()
  }

  /** Our library moved: announce the new TXT (the runtime calls this on each local revision). */
  announce(library: AdvertisedLibrary): void {
    if (this.link.stopped) return
    this.self = {...this.self, library}
    this.announceRepeatedly()
  }

  /** Every record again with TTL 0, on every interface; waits at most goodbyeWaitMs for them to leave. */
  async goodbye(): Promise<void> {
    await Promise.all(
      this.link.bindings.map((binding) =>
        this.link.send(binding, announcement(this.advertisement(binding.iface), true), undefined, this.timings.goodbyeWaitMs),
      ),
    )
  }

  onQuery(binding: MdnsBinding, packet: unknown, rinfo: SenderInfo): void {
    if (this.link.stopped) return
    const {questions, answers: knownAnswers} = packet as {questions?: unknown; answers?: unknown}
    if (!Array.isArray(questions)) return
    const ad = this.advertisement(binding.iface)
    const instance = instanceName(ad.txt.peer_id)
    const target = hostTarget(ad.txt.peer_id)
    const querier = `${binding.iface.name} ${rinfo.address}:${rinfo.port}`
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
      this.truncated.defer(querier, () => this.answerBrowseLater(binding))
      browse = false
    }
    if (browse && (legacy || !this.delayBrowseAnswer(binding))) {
      const reply = browseAnswer(ad)
      answers.push(...reply.answers)
      additionals = reply.additionals
      if (!legacy) this.pace(binding).lastPtrAt = this.components.now()
    }
    if (answers.length === 0) return
    const extra = additionals.filter((record) => !answers.some((answer) => answer.type === record.type && answer.name === record.name))
    const id = (packet as {id?: unknown}).id
    void this.link.send(binding, {answers, additionals: extra, ...(legacy && typeof id === 'number' ? {id} : {})}, legacy ? rinfo : undefined)
  }

  private advertisement(iface: MdnsInterface): Advertisement {
    const self = this.self
    return {
      port: self.port,
      addresses: [iface.address],
      addresses6: iface.addresses6 ?? [],
      txt: {
        peer_id: self.peer_id,
        proto_ver: PROTOCOL_VERSION,
        ...self.library,
        hostname: self.hostname.slice(0, 200),
        cert: self.cert_fingerprint,
        ...(self.transports ? {transports: self.transports.transports} : {}),
        ...(self.transports?.portable_port === undefined ? {} : {portable_port: self.transports.portable_port}),
      },
    }
  }

  private announceRepeatedly(): void {
    const run = ++this.announceRun
    for (let i = 0; i < this.timings.announceCount; i++) {
      this.link.later(i * this.timings.announceIntervalMs, () => {
        if (run !== this.announceRun || this.link.stopped) return
        for (const binding of this.link.bindings) {
          this.pace(binding).lastPtrAt = this.components.now()
          void this.link.send(binding, announcement(this.advertisement(binding.iface)))
        }
      })
    }
  }

  /** The answer to a truncated browse query once its known answers are all in: delayed and rate-limited as usual. */
  private answerBrowseLater(binding: MdnsBinding): void {
    if (this.link.stopped || this.delayBrowseAnswer(binding)) return
    this.sendBrowseAnswer(binding)
  }

  /**
   * Schedules the multicast answer to a browse query (RFC 6762 §6: a shared record waits
   * 20–120 ms, and goes out at most once a second per interface); queries arriving meanwhile
   * share it. False when it may go out at once (no delay configured, as in unit tests).
   */
  private delayBrowseAnswer(binding: MdnsBinding): boolean {
    const pace = this.pace(binding)
    if (pace.answerPending) return true
    const {answerDelayMinMs: min, answerDelayMaxMs: max, answerIntervalMs} = this.timings
    const now = this.components.now()
    const wait = Math.max(min + Math.round(this.components.random() * (max - min)), pace.lastPtrAt + answerIntervalMs - now)
    if (wait <= 0) return false
    pace.answerPending = true
    this.link.later(wait, () => {
      pace.answerPending = false
      if (this.link.stopped) return
      this.sendBrowseAnswer(binding)
    })
    return true
  }

  private sendBrowseAnswer(binding: MdnsBinding): void {
    this.pace(binding).lastPtrAt = this.components.now()
    void this.link.send(binding, browseAnswer(this.advertisement(binding.iface)))
  }

  private pace(binding: MdnsBinding): AnswerPace {
    let pace = this.paces.get(binding)
    if (!pace) {
      pace = {lastPtrAt: -Infinity, answerPending: false}
      this.paces.set(binding, pace)
    }
    return pace
  }
}
