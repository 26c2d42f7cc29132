import {afterEach, describe, expect, it} from 'vitest'
import type {LocalPeer} from '../../src/discovery/discovery.js'
import {SERVICE_TYPE, announcement, instanceName} from '../../src/discovery/dns-sd-records.js'
import {MdnsLink} from '../../src/discovery/mdns-link.js'
import {MdnsResponder} from '../../src/discovery/mdns-responder.js'
import {DEFAULT_MDNS_TIMINGS, type MdnsTimings} from '../../src/discovery/mdns-timings.js'
import {FakeLan} from '../helpers/fake-mdns.js'

const HASH = 'a'.repeat(64)
const PEER_A = '11111111-1111-4111-8111-111111111111'
const PEER_B = '22222222-2222-4222-8222-222222222222'
const TIMINGS: MdnsTimings = {
  ...DEFAULT_MDNS_TIMINGS,
  announceCount: 1,
  announceIntervalMs: 10,
  goodbyeWaitMs: 50,
  answerDelayMinMs: 0,
  answerDelayMaxMs: 0,
  answerIntervalMs: 0,
}

const SELF: LocalPeer = {
  peer_id: PEER_A,
  port: 4870,
  hostname: 'box',
  cert_fingerprint: HASH,
  library: {library_epoch: 'e1', library_rev: 1, library_digest: HASH, game_count: 2},
}

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

/** A responder on its own: a link whose queries go to it and whose responses go nowhere. */
function responderAlone(lan: FakeLan): {responder: MdnsResponder; link: MdnsLink} {
  const link = new MdnsLink([{name: 'veth0', address: '10.0.0.1'}], {createSocket: lan.factory, log: () => {}})
  const responder = new MdnsResponder(link, SELF, TIMINGS, {now: Date.now, random: Math.random})
  link.open({query: (binding, packet, rinfo) => responder.onQuery(binding, packet, rinfo)})
  responder.start()
  stops.push(async () => {
    link.halt()
    await link.close()
  })
  return {responder, link}
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30))

describe('the mDNS responder alone (no browser)', () => {
  it('announces itself, answers a browse query, and sends no query of its own', async () => {
    const lan = new FakeLan()
    responderAlone(lan)
    await settle()
    expect(lan.responses().map((r) => r.from)).toEqual(['10.0.0.1'])
    expect(lan.responses()[0]!.packet.answers).toContainEqual(expect.objectContaining({name: SERVICE_TYPE, type: 'PTR', data: instanceName(PEER_A)}))
    lan.sent.length = 0
    lan.socket({name: 'x', address: '10.0.0.9'}).query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    const [reply] = lan.responses()
    expect(reply?.packet.answers).toEqual([expect.objectContaining({name: SERVICE_TYPE, type: 'PTR', data: instanceName(PEER_A)})])
    expect(reply!.packet.additionals!.map((r) => r.type).sort()).toEqual(['A', 'SRV', 'TXT'])
    expect(lan.queries().filter((q) => q.from === '10.0.0.1')).toEqual([])
  })

  it("ignores another peer's announcement (no browser: nothing is learned or answered)", async () => {
    const lan = new FakeLan()
    responderAlone(lan)
    await settle()
    lan.sent.length = 0
    const other = {
      port: 4871,
      addresses: ['10.0.0.2'],
      txt: {peer_id: PEER_B, proto_ver: 1, library_rev: 1, library_epoch: 'e', library_digest: HASH, game_count: 0, hostname: 'h', cert: HASH},
    }
    lan.socket({name: 'y', address: '10.0.0.2'}).respond(announcement(other), undefined, () => {})
    await settle()
    expect(lan.sent.filter((s) => s.from === '10.0.0.1')).toEqual([])
  })

  it('announces a new library revision, and its goodbye carries every record with TTL 0', async () => {
    const lan = new FakeLan()
    const {responder} = responderAlone(lan)
    await settle()
    lan.sent.length = 0
    responder.announce({library_epoch: 'e1', library_rev: 9, library_digest: HASH, game_count: 3})
    await settle()
    const txt = lan.responses()[0]!.packet.answers!.find((r) => r.type === 'TXT') as {data: Buffer[]}
    expect(txt.data.map(String)).toContain('library_rev=9')
    lan.sent.length = 0
    await responder.goodbye()
    const goodbye = lan.responses()[0]!.packet.answers!
    expect(goodbye.map((r) => r.type).sort()).toEqual(['A', 'PTR', 'SRV', 'TXT'])
    expect(goodbye.every((r) => (r as {ttl: number}).ttl === 0)).toBe(true)
  })

  it('answers nothing once the link is halted', async () => {
    const lan = new FakeLan()
    const {link} = responderAlone(lan)
    await settle()
    link.halt()
    lan.sent.length = 0
    lan.socket({name: 'x', address: '10.0.0.9'}).query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    expect(lan.responses()).toEqual([])
  })
})
