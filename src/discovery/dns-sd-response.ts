// Reads lanspread instances out of an mDNS response (ours or any other host's): PTR → instance
// → SRV (port, target) → A and AAAA (addresses) + TXT (validated). Anything malformed is skipped.
import net from 'node:net'
import {HOST_TTL, SERVICE_TYPE} from './dns-sd-records.js'
import {type TxtFields, decodeTxt} from './txt-record.js'

export interface ResolvedInstance {
  instance: string
  txt: TxtFields
  port: number
  addresses: string[]
  /** From AAAA records, as sent (a link-local one without scope: the receiver adds it). */
  addresses6: string[]
  /** Every record of the instance had TTL 0: the peer said goodbye. */
  goodbye: boolean
  /** TTL of the PTR record, for known-answer suppression. */
  ttl: number
}

interface ResponseLike {
  answers?: unknown
  additionals?: unknown
}

/** A record as received: nothing about it is trusted yet. */
interface ReceivedRecord {
  type: string
  name?: unknown
  ttl?: unknown
  data?: unknown
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** Every complete lanspread instance in one response packet. */
export function resolveInstances(packet: ResponseLike): ResolvedInstance[] {
  const records = [...asRecords(packet.answers), ...asRecords(packet.additionals)]
  const lower = (name: unknown): string => (typeof name === 'string' ? name.toLowerCase() : '')
  const instances = new Map<string, number>()
  for (const record of records) {
    if (record.type === 'PTR' && lower(record.name) === SERVICE_TYPE && typeof record.data === 'string') instances.set(record.data.toLowerCase(), ttlOf(record))
  }
  const resolved: ResolvedInstance[] = []
  for (const [instance, ptrTtl] of instances) {
    const srv = records.find((r) => r.type === 'SRV' && lower(r.name) === instance)
    const txt = records.find((r) => r.type === 'TXT' && lower(r.name) === instance)
    if (!srv || !txt) continue
    const target = srvTarget(srv.data)
    const fields = decodeTxt(txt.data)
    if (!target || !fields) continue
    const addresses = records
      .filter((r) => r.type === 'A' && lower(r.name) === target.name && typeof r.data === 'string' && IPV4.test(r.data))
      .map((r) => r.data as string)
    const addresses6 = records
      .filter((r) => r.type === 'AAAA' && lower(r.name) === target.name && typeof r.data === 'string' && net.isIPv6(r.data))
      .map((r) => r.data as string)
    resolved.push({instance, txt: fields, port: target.port, addresses, addresses6, goodbye: ptrTtl === 0 || ttlOf(srv) === 0, ttl: ptrTtl})
  }
  return resolved
}

function asRecords(value: unknown): ReceivedRecord[] {
  return Array.isArray(value)
    ? value.filter((r): r is ReceivedRecord => typeof r === 'object' && r !== null && typeof (r as {type?: unknown}).type === 'string')
    : []
}

/** A record without a usable TTL is taken as fresh (only an explicit 0 is a goodbye). */
function ttlOf(record: ReceivedRecord): number {
  return typeof record.ttl === 'number' && Number.isInteger(record.ttl) && record.ttl >= 0 ? record.ttl : HOST_TTL
}

function srvTarget(data: unknown): {name: string; port: number} | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const {port, target} = data as {port?: unknown; target?: unknown}
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535 || typeof target !== 'string') return undefined
  return {name: target.toLowerCase(), port}
}
