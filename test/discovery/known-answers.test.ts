import dnsPacket from 'dns-packet'
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {LocalPeer} from '../../src/discovery/discovery.js'
import {SERVICE_TYPE, instanceName} from '../../src/discovery/dns-sd-records.js'
import {MAX_QUERY_BYTES, TRUNCATED, splitKnownAnswers} from '../../src/discovery/known-answers.js'
import {MdnsDiscovery} from '../../src/discovery/mdns.js'
import type {MdnsTimings} from '../../src/discovery/mdns-timings.js'
import {FakeLan} from '../helpers/fake-mdns.js'

const QUESTION = [{name: SERVICE_TYPE, type: 'PTR' as const}]
const peerId = (n: number) => `${String(n).padStart(8, '0')}-1111-4111-8111-111111111111`
const ptr = (n: number, ttl = 4500) => ({name: SERVICE_TYPE, type: 'PTR' as const, ttl, data: instanceName(peerId(n))})
const FAST: Partial<MdnsTimings> = {
  announceCount: 1,
  announceIntervalMs: 10,
  goodbyeWaitMs: 50,
  answerDelayMinMs: 0,
  answerDelayMaxMs: 0,
  answerIntervalMs: 0,
  truncatedWaitMinMs: 40,
  truncatedWaitMaxMs: 50,
}

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  vi.useRealTimers()
})

function local(n: number): LocalPeer {
  return {
    peer_id: peerId(n),
    port: 4870,
    hostname: `box${n}`,
    cert_fingerprint: 'b'.repeat(64),
    library: {library_epoch: 'e1', library_rev: 1, library_digest: 'a'.repeat(64), game_count: 1},
  }
}

async function start(lan: FakeLan, n: number): Promise<MdnsDiscovery> {
  const mdns = new MdnsDiscovery([{name: 'veth0', address: `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`}], {createSocket: lan.factory, log: () => {}}, FAST)
  await mdns.start(() => true, local(n))
  stops.push(() => mdns.stop())
  return mdns
}

describe('splitKnownAnswers (RFC 6762 §7.2)', () => {
  it('keeps a short list in one packet, without TC', () => {
    const packets = splitKnownAnswers(QUESTION, [ptr(1), ptr(2)])
    expect(packets).toEqual([{questions: QUESTION, answers: [ptr(1), ptr(2)]}])
  })

  it('splits a long list into packets that each fit a frame, TC on all but the last, the question in the first only', () => {
    const answers = Array.from({length: 100}, (_, i) => ptr(i))
    const packets = splitKnownAnswers(QUESTION, answers)
    expect(packets.length).toBeGreaterThan(5)
    for (const packet of packets) expect(dnsPacket.encode({type: 'query', ...packet}).length).toBeLessThanOrEqual(MAX_QUERY_BYTES)
    expect(packets.map((p) => p.flags)).toEqual([...packets.slice(1).map(() => TRUNCATED), undefined])
    expect(packets.map((p) => p.questions.length)).toEqual([1, ...packets.slice(1).map(() => 0)])
    expect(packets.flatMap((p) => p.answers)).toEqual(answers)
  })
})

describe('a truncated browse query', () => {
  it('gets no answer from a peer listed in a later packet, and an answer from one listed nowhere, after the wait', async () => {
    const lan = new FakeLan()
    await start(lan, 1)
    await start(lan, 2)
    await new Promise((resolve) => setTimeout(resolve, 30))
    lan.sent.length = 0
    const browser = lan.socket({name: 'x', address: '10.9.9.9'})
    // Peer 1 is in the continuation, peer 2 in no packet at all.
    const packets = splitKnownAnswers(QUESTION, [...Array.from({length: 40}, (_, i) => ptr(100 + i)), ptr(1)])
    expect(packets.length).toBeGreaterThan(1)
    expect(packets.at(-1)!.answers).toContainEqual(ptr(1))
    for (const packet of packets) browser.query(packet)
    expect(lan.responses()).toEqual([]) // nobody answers before the rest of the list could arrive
    await new Promise((resolve) => setTimeout(resolve, 120))
    const answered = lan.responses().map((r) => r.from)
    expect(answered).toEqual(['10.0.0.3'])
  })
})

describe('a LAN of 40 peers at rest', () => {
  it('sends known-answer lists in frames that fit, and stays quiet: no peer answers a query that lists it in any packet', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    for (let n = 1; n <= 40; n++) await start(lan, n)
    // Discovery settles (every peer reports the others and is told they are reachable).
    await vi.advanceTimersByTimeAsync(20_000)
    lan.sent.length = 0
    await vi.advanceTimersByTimeAsync(70_000)
    const queries = lan.queries()
    expect(queries.length).toBeGreaterThan(40)
    expect(Math.max(...queries.map((q) => q.bytes))).toBeLessThanOrEqual(MAX_QUERY_BYTES)
    expect(queries.some((q) => (q.packet.flags ?? 0) & TRUNCATED)).toBe(true)
    expect(lan.responses()).toEqual([])
  })
})
