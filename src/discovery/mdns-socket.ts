// The slice of a `multicast-dns` instance discovery uses, so tests inject a fake (no real
// multicast socket in the root namespace). A real one is bound per interface (SPEC §8).
import makeMdns from 'multicast-dns'
import type {Answer, Question} from 'dns-packet'
import type {MdnsInterface} from './interfaces.js'

export interface SenderInfo {
  address: string
  port: number
}

export interface MdnsSocket {
  on(event: 'query' | 'response', listener: (packet: unknown, rinfo: SenderInfo) => void): unknown
  on(event: 'error' | 'warning', listener: (error: Error) => void): unknown
  /** `flags`: the TC bit of a known-answer list split over packets (known-answers.ts). */
  query(packet: {questions: Question[]; answers?: Answer[]; flags?: number}): void
  respond(packet: {answers: Answer[]; additionals?: Answer[]; id?: number}, rinfo: SenderInfo | undefined, callback: (error: Error | null) => void): void
  destroy(callback?: () => void): void
}

export type MdnsSocketFactory = (iface: MdnsInterface) => MdnsSocket

/**
 * A real socket on one interface. `interface` picks the multicast membership and the outgoing
 * interface; `bind: '0.0.0.0'` is needed too: bound to the interface address, Linux delivers
 * no multicast to it (measured, SPEC §8).
 */
export const multicastSocket: MdnsSocketFactory = (iface) => {
  const mdns = makeMdns({interface: iface.address, bind: '0.0.0.0'})
  return {
    on: (event: string, listener: (...args: never[]) => void) => mdns.on(event, listener as (...args: unknown[]) => void),
    query: (packet) => mdns.query(packet),
    respond: (packet, rinfo, callback) => (rinfo ? mdns.respond(packet, rinfo, (error) => callback(error)) : mdns.respond(packet, (error) => callback(error))),
    destroy: (callback) => mdns.destroy(callback),
  }
}
