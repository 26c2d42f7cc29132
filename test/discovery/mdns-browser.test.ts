import type {Answer} from 'dns-packet'
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {DiscoveredPeer} from '../../src/discovery/discovery.js'
import {type Advertisement, SERVICE_TYPE, announcement, instanceName, instanceRecords, ptrRecord} from '../../src/discovery/dns-sd-records.js'
import {MdnsBrowser} from '../../src/discovery/mdns-browser.js'
import {MdnsLink} from '../../src/discovery/mdns-link.js'
import {DEFAULT_MDNS_TIMINGS} from '../../src/discovery/mdns-timings.js'
import {FakeLan} from '../helpers/fake-mdns.js'

const HASH = 'a'.repeat(64)
const PEER_B = '22222222-2222-4222-8222-222222222222'
const FROM_B = {address: '10.0.0.2', port: 5353}

const B: Advertisement = {
  port: 4871,
  addresses: ['10.0.0.2'],
  txt: {peer_id: PEER_B, proto_ver: 1, library_rev: 4, library_epoch: 'e', library_digest: HASH, game_count: 1, hostname: 'b', cert: HASH},
}

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  vi.useRealTimers()
})

/** A browser on its own: a link whose responses go to it and whose queries go nowhere. `connected`: the runtime's answer. */
function browserAlone(lan: FakeLan, connected: boolean): {browser: MdnsBrowser; found: DiscoveredPeer[]} {
  const link = new MdnsLink([{name: 'veth0', address: '10.0.0.1'}], {createSocket: lan.factory, log: () => {}})
  const browser = new MdnsBrowser(link, DEFAULT_MDNS_TIMINGS, {now: () => Date.now()})
  link.open({response: (binding, packet, rinfo) => browser.onResponse(binding, packet, rinfo)})
  const found: DiscoveredPeer[] = []
  browser.start((peer) => {
    found.push(peer)
    return connected
  })
  stops.push(async () => {
    link.halt()
    browser.stop()
    await link.close()
  })
  return {browser, found}
}

/** The PTR data of the known answers in the browser's latest query. */
function lastKnownAnswers(lan: FakeLan): string[] {
  return (lan.queries().at(-1)?.packet.answers ?? []).map((r) => String((r as Answer & {data: unknown}).data))
}

describe('the mDNS browser alone (no responder)', () => {
  it('queries with no known answer of its own, reports a peer it hears, and answers no query', () => {
    const lan = new FakeLan()
    const {browser, found} = browserAlone(lan, true)
    expect(lan.queries()).toHaveLength(1)
    expect(lastKnownAnswers(lan)).toEqual([])
    lan.inject('response', announcement(B), FROM_B)
    expect(found).toEqual([
      {
        address: {host: '10.0.0.2', port: 4871},
        peer_id: PEER_B,
        position: {library_epoch: 'e', library_rev: 4, library_digest: HASH},
        transports: {transports: ['quic']},
        persistent: false,
      },
    ])
    expect(browser.seenPeers()).toMatchObject([{peer_id: PEER_B, addresses: ['10.0.0.2'], port: 4871, game_count: 1}])
    lan.sent.length = 0
    lan.socket({name: 'x', address: '10.0.0.9'}).query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    expect(lan.responses()).toEqual([])
  })

  it('expires a peer the runtime could not reach once it was silent longer than the host TTL (120 s)', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const {browser, found} = browserAlone(lan, false)
    lan.inject('response', announcement(B), FROM_B)
    await vi.advanceTimersByTimeAsync(100_000)
    expect(browser.seenPeers()).toHaveLength(1)
    // Reported again at every tick meanwhile, so its dial is retried.
    expect(found.length).toBeGreaterThanOrEqual(100)
    await vi.advanceTimersByTimeAsync(25_000)
    expect(browser.seenPeers()).toEqual([])
    const reports = found.length
    await vi.advanceTimersByTimeAsync(10_000)
    expect(found).toHaveLength(reports)
  })

  it('lists a peer the runtime holds as a known answer while more than half its PTR TTL is left, then asks for it again', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const {browser} = browserAlone(lan, true)
    lan.inject('response', {answers: [ptrRecord(B, 100), ...instanceRecords(B)]}, FROM_B)
    // Queries go out at 1 s, 3 s, 7 s, 15 s, 31 s, 63 s: the TTL left at each is 99, 97, 93, 85, 69, 37.
    await vi.advanceTimersByTimeAsync(31_500)
    expect(lastKnownAnswers(lan)).toEqual([instanceName(PEER_B)])
    expect((lan.queries().at(-1)!.packet.answers![0] as {ttl: number}).ttl).toBe(69)
    await vi.advanceTimersByTimeAsync(32_000)
    expect(lastKnownAnswers(lan)).toEqual([])
    // The runtime holds it: the browser keeps it (the runtime forgets it when the connection goes).
    expect(browser.seenPeers()).toHaveLength(1)
  })

  it('forgets a peer at its goodbye, and asks again soon when the runtime forgets one', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const {browser} = browserAlone(lan, true)
    lan.inject('response', announcement(B), FROM_B)
    lan.inject('response', announcement(B, true), FROM_B)
    expect(browser.seenPeers()).toEqual([])
    await vi.advanceTimersByTimeAsync(40_000)
    const before = lan.queries().length
    browser.forget(PEER_B)
    await vi.advanceTimersByTimeAsync(1100)
    expect(lan.queries()).toHaveLength(before + 1)
  })
})
