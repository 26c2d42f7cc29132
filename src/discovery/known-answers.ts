// Known-answer lists that do not fit in one packet (RFC 6762 §7.2). A browse query lists
// every peer the querier already knows, ~95 bytes each: past ~14 peers it outgrows an
// Ethernet frame, past ~90 the 9000 bytes mDNS allows at all. The querier splits the list
// over several packets with the TC bit set on all but the last; a responder that sees TC
// waits 400-500 ms for the rest before deciding whether its record is already known.
import dnsPacket, {type Answer, type Question} from 'dns-packet'
import {OTHER_TTL, SERVICE_TYPE} from './dns-sd-records.js'

/** A query packet as MdnsSocket.query sends it. */
export interface QueryPacket {
  questions: Question[]
  answers: Answer[]
  flags?: number
}

/** The DNS header's TC (truncated) bit. */
export const TRUNCATED = dnsPacket.TRUNCATED_RESPONSE

/** What fits one Ethernet frame: 1500 bytes less the IPv4 and UDP headers, with room to spare. */
export const MAX_QUERY_BYTES = 1400

/**
 * The questions and as many known answers as fit in the first packet, the rest in packets of
 * their own (no questions), every packet but the last marked TC. One packet when all fit.
 */
export function splitKnownAnswers(questions: Question[], answers: Answer[], maxBytes = MAX_QUERY_BYTES): QueryPacket[] {
  const packets: QueryPacket[] = [{questions, answers: []}]
  for (const answer of answers) {
    const current = packets.at(-1)!
    current.answers.push(answer)
    // A single answer larger than a packet still goes out, alone: splitting cannot help it.
    if (current.answers.length > 1 && encodedLength(current) > maxBytes) {
      current.answers.pop()
      packets.push({questions: [], answers: [answer]})
    }
  }
  return packets.map((packet, i) => (i < packets.length - 1 ? {...packet, flags: TRUNCATED} : packet))
}

function encodedLength(packet: QueryPacket): number {
  return dnsPacket.encodingLength({type: 'query', ...packet})
}

/** Whether a received packet has the TC bit set (a decoded packet, or any object). */
export function isTruncated(packet: {flags?: unknown; flag_tc?: unknown}): boolean {
  if (packet.flag_tc === true) return true
  return typeof packet.flags === 'number' && (packet.flags & TRUNCATED) !== 0
}

export interface TruncatedQueriesOptions {
  /** RFC 6762 §7.2: wait 400-500 ms for the rest of a truncated known-answer list. */
  waitMinMs: number
  waitMaxMs: number
  random(): number
  later(delayMs: number, run: () => void): void
}

/**
 * Browse queries whose known-answer list continues in later packets, one entry per querier
 * (its address and port on one interface). A continuation that lists our record suppresses
 * the answer; otherwise the answer goes out when the wait ends.
 */
export class TruncatedQueries {
  private readonly pending = new Map<string, {suppressed: boolean}>()

  constructor(private readonly options: TruncatedQueriesOptions) {}

  /** A truncated browse query that did not list us yet: decide after the wait. */
  defer(querier: string, answer: () => void): void {
    if (this.pending.has(querier)) return
    const entry = {suppressed: false}
    this.pending.set(querier, entry)
    const {waitMinMs: min, waitMaxMs: max} = this.options
    this.options.later(min + Math.round(this.options.random() * (max - min)), () => {
      this.pending.delete(querier)
      if (!entry.suppressed) answer()
    })
  }

  /** A packet of known answers from `querier` (no questions): it may list us after all. */
  continued(querier: string, listsUs: boolean): void {
    const entry = this.pending.get(querier)
    if (entry && listsUs) entry.suppressed = true
  }
}

/** The querier listed our PTR with at least half its TTL left: it needs no answer (RFC 6762 §7.1). */
export function alreadyKnown(knownAnswers: unknown, instance: string): boolean {
  if (!Array.isArray(knownAnswers)) return false
  return knownAnswers.some(
    (record: {type?: unknown; name?: unknown; data?: unknown; ttl?: unknown}) =>
      record?.type === 'PTR' &&
      typeof record.name === 'string' &&
      record.name.toLowerCase() === SERVICE_TYPE &&
      typeof record.data === 'string' &&
      record.data.toLowerCase() === instance &&
      typeof record.ttl === 'number' &&
      record.ttl >= OTHER_TTL / 2,
  )
}
