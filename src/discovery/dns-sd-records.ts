// The DNS-SD records of this peer (RFC 6763): PTR from the service type to our instance, SRV
// to the QUIC port, TXT with our position, A and AAAA records of the interface. Built once per change.
import type {Answer} from 'dns-packet'
import {type TxtFields, encodeTxt} from './txt-record.js'

export const SERVICE_TYPE = '_lanspread._udp.local'
export const SERVICES_ENUMERATION = '_services._dns-sd._udp.local'
/** RFC 6762 §10: host-bound records (SRV, A) 120 s; the others 75 minutes. */
export const HOST_TTL = 120
export const OTHER_TTL = 4500

export interface Advertisement {
  txt: TxtFields
  port: number
  /** IPv4 addresses of the interface the records go out on. */
  addresses: string[]
  /**
   * Its IPv6 addresses. A link-local one (fe80::/10) is valid on that link only: it goes out
   * on that interface only, and a receiver scopes it to the interface it arrived on.
   */
  addresses6?: string[]
}

export function instanceName(peerId: string): string {
  return `${peerId}.${SERVICE_TYPE}`
}

/** The SRV target: keyed on peer_id, since namespaces (and cloned machines) share hostnames. */
export function hostTarget(peerId: string): string {
  return `${peerId}.local`
}

export function ptrRecord(ad: Advertisement, ttl = OTHER_TTL): Answer {
  return {name: SERVICE_TYPE, type: 'PTR', ttl, data: instanceName(ad.txt.peer_id)}
}

/** SRV, TXT, A and AAAA: unique records, so they carry the cache-flush bit (RFC 6762 §10.2). */
export function instanceRecords(ad: Advertisement, goodbye = false): Answer[] {
  const name = instanceName(ad.txt.peer_id)
  const target = hostTarget(ad.txt.peer_id)
  const hostTtl = goodbye ? 0 : HOST_TTL
  return [
    {name, type: 'SRV', ttl: hostTtl, flush: true, data: {priority: 0, weight: 0, port: ad.port, target}},
    {name, type: 'TXT', ttl: goodbye ? 0 : OTHER_TTL, flush: true, data: encodeTxt(ad.txt)},
    ...addressRecords(ad, goodbye),
  ]
}

/** The A and AAAA records of our host name (`<peer_id>.local`). */
export function addressRecords(ad: Advertisement, goodbye = false): Answer[] {
  const name = hostTarget(ad.txt.peer_id)
  const ttl = goodbye ? 0 : HOST_TTL
  return [
    ...ad.addresses.map((address): Answer => ({name, type: 'A', ttl, flush: true, data: address})),
    ...(ad.addresses6 ?? []).map((address): Answer => ({name, type: 'AAAA', ttl, flush: true, data: address})),
  ]
}

/** An unsolicited announcement (or, with TTL 0, the goodbye): every record as an answer. */
export function announcement(ad: Advertisement, goodbye = false): {answers: Answer[]} {
  return {answers: [ptrRecord(ad, goodbye ? 0 : OTHER_TTL), ...instanceRecords(ad, goodbye)]}
}

/** The answer to a PTR query for the service: browsers (Avahi, Bonjour) want the rest in Additional. */
export function browseAnswer(ad: Advertisement): {answers: Answer[]; additionals: Answer[]} {
  return {answers: [ptrRecord(ad)], additionals: instanceRecords(ad)}
}

export function enumerationAnswer(): {answers: Answer[]} {
  return {answers: [{name: SERVICES_ENUMERATION, type: 'PTR', ttl: OTHER_TTL, data: SERVICE_TYPE}]}
}
