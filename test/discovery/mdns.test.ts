import {afterEach, describe, expect, it, vi} from 'vitest'
import type {DiscoveredPeer, LocalPeer} from '../../src/discovery/discovery.js'
import {SERVICES_ENUMERATION, SERVICE_TYPE, instanceName} from '../../src/discovery/dns-sd-records.js'
import {MdnsDiscovery} from '../../src/discovery/mdns.js'
import type {MdnsTimings} from '../../src/discovery/mdns-timings.js'
import {encodeTxt} from '../../src/discovery/txt-record.js'
import {FakeLan} from '../helpers/fake-mdns.js'

const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)
const FAST: Partial<MdnsTimings> = {announceCount: 1, announceIntervalMs: 10, goodbyeWaitMs: 50, answerDelayMinMs: 0, answerDelayMaxMs: 0, answerIntervalMs: 0}

function local(peerId: string, port: number, rev = 1): LocalPeer {
  return {
    peer_id: peerId,
    port,
    hostname: 'box',
    cert_fingerprint: HASH_B,
    library: {library_epoch: 'e1', library_rev: rev, library_digest: HASH_A, game_count: 2},
  }
}

const PEER_A = '11111111-1111-4111-8111-111111111111'
const PEER_B = '22222222-2222-4222-8222-222222222222'

const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  vi.useRealTimers()
})

/** `connected`: what the runtime answers (true once it holds a connection to the peer). */
async function peer(
  lan: FakeLan,
  address: string,
  self: LocalPeer | undefined,
  timings: Partial<MdnsTimings> = FAST,
  connected = true,
): Promise<{mdns: MdnsDiscovery; found: DiscoveredPeer[]; logs: string[]}> {
  const found: DiscoveredPeer[] = []
  const logs: string[] = []
  const mdns = new MdnsDiscovery([{name: 'veth0', address}], {createSocket: lan.factory, log: (_l, m) => logs.push(m)}, timings)
  await mdns.start((p) => {
    found.push(p)
    return connected
  }, self)
  stops.push(() => mdns.stop())
  return {mdns, found, logs}
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30))

describe('mDNS discovery', () => {
  it('two peers find each other (address, QUIC port, library position) and never themselves', async () => {
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    const b = await peer(lan, '10.0.0.2', local(PEER_B, 4871, 7))
    await settle()
    expect(a.found.every((p) => p.peer_id === PEER_B)).toBe(true)
    expect(a.found.at(-1)).toEqual({
      address: {host: '10.0.0.2', port: 4871},
      peer_id: PEER_B,
      position: {library_epoch: 'e1', library_rev: 7, library_digest: HASH_A},
      // A record without transports is an older peer's: QUIC only.
      transports: {transports: ['quic']},
      persistent: false,
    })
    expect(b.found.at(-1)?.address).toEqual({host: '10.0.0.1', port: 4870})
    expect(b.found.every((p) => p.peer_id === PEER_A)).toBe(true)
    expect(a.mdns.seenPeers()).toMatchObject([{peer_id: PEER_B, hostname: 'box', addresses: ['10.0.0.2'], port: 4871, library_rev: 7, game_count: 2}])
  })

  it('answers a PTR query with SRV, TXT and A in the Additional section, and the service enumeration', async () => {
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    await settle()
    lan.sent.length = 0
    const browser = lan.socket({name: 'x', address: '10.0.0.9'})
    browser.query({
      questions: [
        {name: SERVICE_TYPE, type: 'PTR'},
        {name: SERVICES_ENUMERATION, type: 'PTR'},
      ],
    })
    const [reply] = lan.responses()
    expect(reply?.packet.answers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({name: SERVICE_TYPE, type: 'PTR', data: instanceName(PEER_A)}),
        expect.objectContaining({name: SERVICES_ENUMERATION, type: 'PTR', data: SERVICE_TYPE}),
      ]),
    )
    const extra = reply!.packet.additionals ?? []
    expect(extra.map((r) => r.type).sort()).toEqual(['A', 'SRV', 'TXT'])
    expect(extra.find((r) => r.type === 'SRV')).toMatchObject({data: {port: 4870, target: `${PEER_A}.local`}})
    expect(extra.find((r) => r.type === 'A')).toMatchObject({name: `${PEER_A}.local`, data: '10.0.0.1'})
    const txt = (extra.find((r) => r.type === 'TXT') as {data: Buffer[]}).data.map(String)
    for (const key of ['peer_id', 'proto_ver', 'library_rev', 'library_epoch', 'hostname', 'cert']) expect(txt.some((s) => s.startsWith(`${key}=`))).toBe(true)
  })

  it("advertises AAAA beside A for the interface's IPv6 addresses; a browser parses them and scopes a link-local one to its interface", async () => {
    const lan = new FakeLan()
    const iface = {name: 'veth0', address: '10.0.0.1', addresses6: ['fe80::1:2', 'fd00::7']}
    const a = new MdnsDiscovery([iface], {createSocket: lan.factory, log: () => {}}, FAST)
    await a.start(() => true, local(PEER_A, 4870))
    stops.push(() => a.stop())
    const b = await peer(lan, '10.0.0.2', undefined)
    await settle()
    lan.sent.length = 0
    const browser = lan.socket({name: 'x', address: '10.0.0.9'})
    browser.query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    const extra = lan.responses()[0]!.packet.additionals ?? []
    expect(extra.filter((r) => r.type === 'AAAA')).toEqual([
      expect.objectContaining({name: `${PEER_A}.local`, data: 'fe80::1:2', ttl: 120}),
      expect.objectContaining({name: `${PEER_A}.local`, data: 'fd00::7', ttl: 120}),
    ])
    browser.query({questions: [{name: `${PEER_A}.local`, type: 'AAAA'}]})
    expect(lan.responses()[1]!.packet.answers?.map((r) => [r.type, (r as {data: unknown}).data])).toEqual([
      ['AAAA', 'fe80::1:2'],
      ['AAAA', 'fd00::7'],
    ])
    // The browse side dials IPv4 and lists IPv6 after it.
    expect(b.found.at(-1)?.address).toEqual({host: '10.0.0.1', port: 4870})
    expect(b.mdns.seenPeers()[0]?.addresses).toEqual(['10.0.0.1', 'fe80::1:2%veth0', 'fd00::7'])
    // A garbage AAAA is skipped, the rest of the instance still resolves.
    const ptr = {name: SERVICE_TYPE, type: 'PTR', data: instanceName(PEER_B)}
    const srv = {name: instanceName(PEER_B), type: 'SRV', data: {port: 4870, target: 'b.local'}}
    const txt = {
      name: instanceName(PEER_B),
      type: 'TXT',
      data: encodeTxt({peer_id: PEER_B, proto_ver: 1, library_rev: 1, library_epoch: 'e', library_digest: HASH_A, game_count: 0, hostname: 'h', cert: HASH_A}),
    }
    lan.inject('response', {answers: [ptr, srv, txt, {name: 'b.local', type: 'AAAA', data: 'not-an-address'}, {name: 'b.local', type: 'AAAA', data: 7}]})
    expect(b.mdns.seenPeers().find((p) => p.peer_id === PEER_B)?.addresses).toEqual(['10.9.9.9'])
  })

  it('answers SRV/TXT and A queries of its own names (what avahi-browse -r asks)', async () => {
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    await settle()
    lan.sent.length = 0
    const browser = lan.socket({name: 'x', address: '10.0.0.9'})
    browser.query({
      questions: [
        {name: instanceName(PEER_A), type: 'SRV'},
        {name: instanceName(PEER_A), type: 'TXT'},
        {name: `${PEER_A}.local`, type: 'A'},
      ],
    })
    expect(
      lan
        .responses()[0]
        ?.packet.answers?.map((r) => r.type)
        .sort(),
    ).toEqual(['A', 'SRV', 'TXT'])
  })

  it('answers browse queries after 20–120 ms, once for queries arriving together, and at most once a second (RFC 6762 §6)', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870), {announceCount: 1, answerDelayMinMs: 20, answerDelayMaxMs: 120, answerIntervalMs: 1000})
    await vi.advanceTimersByTimeAsync(1500)
    lan.sent.length = 0
    const browsers = Array.from({length: 10}, (_, i) => lan.socket({name: 'x', address: `10.0.0.${20 + i}`}))
    for (const browser of browsers) browser.query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    expect(lan.responses()).toEqual([])
    await vi.advanceTimersByTimeAsync(130)
    expect(lan.responses()).toHaveLength(1)
    expect(
      lan
        .responses()[0]!
        .packet.additionals?.map((r) => r.type)
        .sort(),
    ).toEqual(['A', 'SRV', 'TXT'])
    // Another wave 300 ms later waits for the second to pass.
    for (const browser of browsers) browser.query({questions: [{name: SERVICE_TYPE, type: 'PTR'}]})
    await vi.advanceTimersByTimeAsync(500)
    expect(lan.responses()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(600)
    expect(lan.responses()).toHaveLength(2)
    // A legacy unicast querier is answered at once, directly.
    lan.socket({name: 'x', address: '10.0.0.9'}, 40_000).query({id: 5, questions: [{name: SERVICE_TYPE, type: 'PTR'}]} as never)
    expect(lan.responses()).toHaveLength(3)
  })

  it('reports every peer heard to the runtime again every second (a failed dial or pull is retried soon), without sending a packet', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', local(PEER_A, 4870), FAST, false)
    await peer(lan, '10.0.0.2', local(PEER_B, 4871))
    await vi.advanceTimersByTimeAsync(40_000)
    const before = a.found.length
    const sentBefore = lan.sent.length
    await vi.advanceTimersByTimeAsync(5000)
    expect(a.found.length - before).toBeGreaterThanOrEqual(5)
    // In those 5 s the browse backoff (at 32 s by now) sent no query.
    expect(lan.sent.length).toBe(sentBefore)
  })

  it('a querier that lists our PTR as a known answer gets no reply (quiet LAN at rest)', async () => {
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    await settle()
    lan.sent.length = 0
    const browser = lan.socket({name: 'x', address: '10.0.0.9'})
    browser.query({questions: [{name: SERVICE_TYPE, type: 'PTR'}], answers: [{name: SERVICE_TYPE, type: 'PTR', ttl: 4500, data: instanceName(PEER_A)}]})
    expect(lan.responses()).toEqual([])
    browser.query({questions: [{name: SERVICE_TYPE, type: 'PTR'}], answers: [{name: SERVICE_TYPE, type: 'PTR', ttl: 100, data: instanceName(PEER_A)}]})
    expect(lan.responses()).toHaveLength(1)
  })

  it('its own browse queries carry the peers it knows, so they stay quiet', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    const b = await peer(lan, '10.0.0.2', local(PEER_B, 4871))
    await vi.advanceTimersByTimeAsync(100)
    lan.sent.length = 0
    await vi.advanceTimersByTimeAsync(60_000)
    const fromB = lan.queries().filter((q) => q.from === '10.0.0.2')
    expect(fromB.length).toBeGreaterThan(0)
    expect(
      fromB
        .at(-1)
        ?.packet.answers?.map((r) => (r as {data: string}).data)
        .sort(),
    ).toEqual([instanceName(PEER_A), instanceName(PEER_B)])
    expect(lan.responses()).toEqual([])
    expect(b.found.length).toBeGreaterThan(0)
  })

  it('a peer the runtime could not reach is not a known answer, is reported again at each tick, and dropped once silent', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', local(PEER_A, 4870), FAST, false)
    await peer(lan, '10.0.0.2', local(PEER_B, 4871))
    await vi.advanceTimersByTimeAsync(100)
    const reportsBefore = a.found.length
    lan.sent.length = 0
    await vi.advanceTimersByTimeAsync(8000)
    const fromA = lan.queries().filter((q) => q.from === '10.0.0.1')
    expect(fromA.every((q) => (q.packet.answers ?? []).every((r) => (r as {data: string}).data !== instanceName(PEER_B)))).toBe(true)
    // B answers each of A's queries, and A reports B again (a new dial) each time.
    expect(lan.responses().filter((r) => r.from === '10.0.0.2').length).toBeGreaterThanOrEqual(fromA.length)
    expect(a.found.length).toBeGreaterThan(reportsBefore + fromA.length)
    // B goes away without a goodbye: after 120 s without an answer A forgets it.
    lan.silence('10.0.0.2')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(a.mdns.seenPeers()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(140_000)
    expect(a.mdns.seenPeers()).toEqual([])
    const late = a.found.length
    await vi.advanceTimersByTimeAsync(120_000)
    expect(a.found.length).toBe(late)
  })

  it('queries at start and then back off 1 s, 2 s, 4 s … up to the maximum', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', undefined, {...FAST, queryMaxMs: 8000})
    const times: number[] = []
    const start = Date.now()
    for (let t = 0; t <= 40_000; t += 500) {
      while (lan.queries().length > times.length) times.push(Date.now() - start)
      await vi.advanceTimersByTimeAsync(500)
    }
    expect(times.slice(0, 7)).toEqual([0, 1000, 3000, 7000, 15_000, 23_000, 31_000])
  })

  it('a forgotten peer is asked for again soon', async () => {
    vi.useFakeTimers()
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', undefined, {...FAST, queryMaxMs: 60_000})
    await vi.advanceTimersByTimeAsync(40_000)
    const before = lan.queries().length
    a.mdns.forget(PEER_B)
    await vi.advanceTimersByTimeAsync(1100)
    expect(lan.queries().length).toBe(before + 1)
  })

  it('re-announces a new library_rev, and says goodbye (TTL 0) at stop', async () => {
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    const b = await peer(lan, '10.0.0.2', undefined)
    await settle()
    a.mdns.announce({library_epoch: 'e1', library_rev: 9, library_digest: HASH_B, game_count: 3})
    await settle()
    expect(b.found.at(-1)?.position).toEqual({library_epoch: 'e1', library_rev: 9, library_digest: HASH_B})
    expect(b.mdns.seenPeers()).toMatchObject([{peer_id: PEER_A, library_rev: 9, game_count: 3}])
    await a.mdns.stop()
    const goodbye = lan.responses().at(-1)!.packet.answers!
    expect(goodbye.every((r) => (r as {ttl: number}).ttl === 0)).toBe(true)
    expect(b.mdns.seenPeers()).toEqual([])
  })

  it('answers a legacy unicast query (source port not 5353) directly, with its id', async () => {
    const lan = new FakeLan()
    await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    await settle()
    lan.sent.length = 0
    const legacy = lan.socket({name: 'x', address: '10.0.0.9'}, 40_000)
    legacy.query({id: 77, questions: [{name: SERVICE_TYPE, type: 'PTR'}]} as never)
    expect(lan.responses()[0]).toMatchObject({to: {address: '10.0.0.9', port: 40_000}, packet: {id: 77}})
  })

  it('ignores malformed and hostile packets without crashing', async () => {
    const lan = new FakeLan()
    const a = await peer(lan, '10.0.0.1', local(PEER_A, 4870))
    await settle()
    const good = {
      name: instanceName(PEER_B),
      type: 'TXT',
      data: encodeTxt({peer_id: PEER_B, proto_ver: 1, library_rev: 1, library_epoch: 'e', library_digest: HASH_A, game_count: 0, hostname: 'h', cert: HASH_A}),
    }
    const ptr = {name: SERVICE_TYPE, type: 'PTR', data: instanceName(PEER_B)}
    const srv = {name: instanceName(PEER_B), type: 'SRV', data: {port: 4870, target: 'b.local'}}
    const hostile: unknown[] = [
      null,
      42,
      'garbage',
      {questions: 'nope'},
      {questions: [null, {name: 5}, {name: SERVICE_TYPE, type: {}}]},
      {answers: [null, 1, {type: 'PTR'}, {type: 'PTR', name: SERVICE_TYPE, data: {}}]},
      {answers: [ptr, srv, {...good, data: [Buffer.from('peer_id=not-a-uuid')]}]},
      {answers: [ptr, srv, {...good, data: 'x'.repeat(100_000)}]},
      {answers: [ptr, {...srv, data: {port: 99_999, target: 'b.local'}}, good]},
      {answers: [ptr, {...srv, data: {port: 4870, target: 7}}, good]},
      // The record claims PEER_B under another instance name.
      {
        answers: [
          {...ptr, data: `evil.${SERVICE_TYPE}`},
          {...srv, name: `evil.${SERVICE_TYPE}`},
          {...good, name: `evil.${SERVICE_TYPE}`},
        ],
      },
      {answers: [ptr, srv, {...good, data: [Buffer.from('peer_id'), 7, {}]}]},
    ]
    for (const packet of hostile) {
      lan.inject('response', packet)
      lan.inject('query', packet)
    }
    expect(a.found).toEqual([])
    // A well-formed record after all that still works.
    lan.inject('response', {answers: [ptr, srv, good]})
    expect(a.found).toEqual([expect.objectContaining({peer_id: PEER_B, address: {host: '10.9.9.9', port: 4870}})])
  })
})
