import {getEventListeners} from 'node:events'
import {describe, expect, it} from 'vitest'
import type {DiscoveredPeer} from '../../src/discovery/discovery.js'
import {Dialer, MAX_CONCURRENT_DIALS, MAX_DIAL_PATIENCE_MS, MAX_RETRY_DIALS, dialPatienceMs} from '../../src/peer/dialer.js'
import {DEFAULT_RUNTIME_SETTINGS} from '../../src/peer/settings.js'
import type {PeerAddress} from '../../src/peer/peer-table.js'
import type {PeerConnection} from '../../src/transport/endpoint.js'

const SMALL = '11111111-1111-4111-8111-111111111111'
const LARGE = '99999999-9999-4999-8999-999999999999'
const settings = {...DEFAULT_RUNTIME_SETTINGS, requestTimeoutMs: 10_000, redialMinMs: 1000, redialMaxMs: 30_000}

/** Sessions whose dials the test settles by hand, on a clock the test moves. */
function harness(selfId: string, overrides: Partial<typeof settings> = {}) {
  const clock = {now: 0}
  const dials: {address: PeerAddress; timeoutMs: number | undefined; signal: AbortSignal | undefined; settle(peerId: string | Error): void}[] = []
  const connected = new Set<string>()
  const announced: string[] = []
  const sessions = {
    connect: (address: PeerAddress, options: {timeoutMs?: number; signal?: AbortSignal} = {}) =>
      new Promise<string | undefined>((resolve, reject) => {
        // Like the endpoint: an aborted dial fails at once, and a settled one lets go of the signal.
        const onAbort = () => reject(new Error('could not connect: aborted'))
        options.signal?.addEventListener('abort', onAbort, {once: true})
        dials.push({
          address,
          timeoutMs: options.timeoutMs,
          signal: options.signal,
          settle: (outcome) => {
            options.signal?.removeEventListener('abort', onAbort)
            if (outcome instanceof Error) return reject(outcome)
            connected.add(outcome)
            resolve(outcome)
          },
        })
      }),
    connectionOf: (peerId: string) => (connected.has(peerId) ? ({closed: new Promise(() => undefined)} as unknown as PeerConnection) : undefined),
    announced: (peerId: string) => void announced.push(peerId),
  }
  const warnings: string[] = []
  // Peers that dialled us, by the address they listen at (a static peer's address, say).
  const listening = new Map<string, string>()
  const dialer = new Dialer({
    selfId,
    sessions,
    connectedAt: (address) => {
      const peerId = listening.get(`${address.host}:${address.port}`)
      return peerId !== undefined && connected.has(peerId) ? peerId : undefined
    },
    settings: {...settings, ...overrides},
    log: (level, message) => void (level === 'warn' && warnings.push(message)),
    now: () => clock.now,
    random: () => 0.5,
  })
  return {clock, dials, connected, announced, dialer, warnings, listening}
}

function mdnsPeer(peerId: string, host = '10.0.0.2'): DiscoveredPeer {
  return {address: {host, port: 4870}, peer_id: peerId, position: {library_epoch: 'e', library_rev: 1, library_digest: 'a'.repeat(64)}, persistent: false}
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('Dialer', () => {
  it('of two peers that found each other, only the smaller peer_id dials at once; the other waits one request timeout', async () => {
    const small = harness(SMALL)
    expect(small.dialer.found(mdnsPeer(LARGE))).toBe(false)
    expect(small.dials).toHaveLength(1)

    const large = harness(LARGE)
    large.dialer.found(mdnsPeer(SMALL))
    large.clock.now = 9_000
    large.dialer.found(mdnsPeer(SMALL))
    expect(large.dials).toHaveLength(0)
    // The smaller one never came (it cannot hear us): dial after all.
    large.clock.now = 10_600
    large.dialer.found(mdnsPeer(SMALL))
    expect(large.dials).toHaveLength(1)
  })

  it('a connected peer costs no dial, only a look at its announced library', async () => {
    const h = harness(SMALL)
    h.dialer.found(mdnsPeer(LARGE))
    h.dials[0]!.settle(LARGE)
    await tick()
    expect(h.dialer.found(mdnsPeer(LARGE))).toBe(true)
    expect(h.dials).toHaveLength(1)
    expect(h.announced).toEqual([LARGE])
  })

  it('a failed dial backs off before the next, however often discovery reports the peer', async () => {
    const h = harness(SMALL)
    h.dialer.found(mdnsPeer(LARGE))
    h.dials[0]!.settle(new Error('timed out'))
    await tick()
    for (let t = 0; t <= 900; t += 100) {
      h.clock.now = t
      h.dialer.found(mdnsPeer(LARGE))
    }
    expect(h.dials).toHaveLength(1)
    h.clock.now = 1_300
    h.dialer.found(mdnsPeer(LARGE))
    expect(h.dials).toHaveLength(2)
  })

  it(`dials at most ${MAX_CONCURRENT_DIALS} peers at once; the rest wait their turn, and skip it once connected`, async () => {
    const h = harness(SMALL)
    const peers = Array.from({length: MAX_CONCURRENT_DIALS + 2}, (_, i) =>
      mdnsPeer(`9${String(i).padStart(7, '0')}-9999-4999-8999-999999999999`, `10.0.1.${i}`),
    )
    for (const peer of peers) h.dialer.found(peer)
    await tick()
    expect(h.dials).toHaveLength(MAX_CONCURRENT_DIALS)
    // The last one dialled us meanwhile.
    h.connected.add(peers.at(-1)!.peer_id!)
    h.dials[0]!.settle(peers[0]!.peer_id!)
    h.dials[1]!.settle(peers[1]!.peer_id!)
    await tick()
    await tick()
    expect(h.dials.map((d) => d.address.host)).toEqual(peers.slice(0, MAX_CONCURRENT_DIALS + 1).map((p) => p.address.host))
  })

  it(`retries of peers whose dial failed hold at most ${MAX_RETRY_DIALS} slots, and first dials go ahead of them in the queue`, async () => {
    const h = harness(SMALL)
    const peer = (i: number, net: number) => mdnsPeer(`9${String(net * 100 + i).padStart(7, '0')}-9999-4999-8999-999999999999`, `10.0.${net}.${i}`)
    const unreachable = Array.from({length: MAX_CONCURRENT_DIALS}, (_, i) => peer(i, 1))
    for (const p of unreachable) h.dialer.found(p)
    for (const dial of h.dials) dial.settle(new Error('QUIC Client create timeout'))
    await tick()
    // They answer mDNS again: only half the slots go to their retries.
    h.clock.now = 60_000
    for (const p of unreachable) h.dialer.found(p)
    await tick()
    expect(h.dials).toHaveLength(MAX_CONCURRENT_DIALS + MAX_RETRY_DIALS)
    // Reachable peers found meanwhile are dialled at once, in the slots left.
    const fresh = Array.from({length: MAX_CONCURRENT_DIALS - MAX_RETRY_DIALS + 1}, (_, i) => peer(i, 2))
    for (const p of fresh) h.dialer.found(p)
    await tick()
    expect(h.dials.slice(MAX_CONCURRENT_DIALS + MAX_RETRY_DIALS).map((d) => d.address.host)).toEqual(fresh.slice(0, -1).map((p) => p.address.host))
    // A retry ends: the waiting first dial takes the slot, not a waiting retry.
    h.dials[MAX_CONCURRENT_DIALS]!.settle(new Error('QUIC Client create timeout'))
    await tick()
    expect(h.dials.at(-1)!.address.host).toBe(fresh.at(-1)!.address.host)
    // A first dial ends with no first dial waiting: a retry may have its slot (retries under the cap).
    const count = h.dials.length
    h.dials[MAX_CONCURRENT_DIALS + MAX_RETRY_DIALS]!.settle(fresh[0]!.peer_id!)
    await tick()
    expect(h.dials).toHaveLength(count + 1)
    expect(h.dials.at(-1)!.address.host).toBe(unreachable[MAX_RETRY_DIALS]!.address.host)
  })

  it('each failed dial to a peer gives the next one twice the patience, up to the QUIC idle timeout; a success starts over', async () => {
    const h = harness(SMALL)
    const patience: (number | undefined)[] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      h.clock.now = attempt * 60_000
      h.dialer.found(mdnsPeer(LARGE))
      await tick()
      const dial = h.dials.at(-1)!
      patience.push(dial.timeoutMs)
      dial.settle(new Error('QUIC Client create timeout'))
      await tick()
    }
    expect(patience).toEqual([10_000, 20_000, 40_000, MAX_DIAL_PATIENCE_MS, MAX_DIAL_PATIENCE_MS])
    h.clock.now = 10 * 60_000
    h.dialer.found(mdnsPeer(LARGE))
    await tick()
    h.dials.at(-1)!.settle(LARGE)
    await tick()
    // Lost later and found again: a fresh start.
    h.connected.delete(LARGE)
    h.clock.now = 11 * 60_000
    h.dialer.found(mdnsPeer(LARGE))
    await tick()
    expect(h.dials.at(-1)!.timeoutMs).toBe(10_000)
  })

  it('stop gives up the dials in flight and the queued ones at once, quietly (serve must not wait out a minute-long dial)', async () => {
    const h = harness(SMALL)
    const peers = Array.from({length: MAX_CONCURRENT_DIALS + 2}, (_, i) =>
      mdnsPeer(`9${String(i).padStart(7, '0')}-9999-4999-8999-999999999999`, `10.0.3.${i}`),
    )
    for (const peer of peers) h.dialer.found(peer)
    h.dialer.found({address: {host: '10.0.4.1', port: 4870}, persistent: true})
    await tick()
    expect(h.dials).toHaveLength(MAX_CONCURRENT_DIALS + 1)
    expect(h.dials.every((dial) => dial.signal !== undefined && !dial.signal.aborted)).toBe(true)
    // None of these dials ever settles by itself: stop() must not wait for them.
    await h.dialer.stop()
    expect(h.dials.every((dial) => dial.signal!.aborted)).toBe(true)
    // The queued ones were let in and saw serve stopping: no new dial, no warning.
    expect(h.dials).toHaveLength(MAX_CONCURRENT_DIALS + 1)
    expect(h.warnings).toEqual([])
  })

  it("a static peer that stays down is re-dialled without piling abort listeners on the dialer's signal", async () => {
    const {dials, dialer} = harness(SMALL, {redialMinMs: 1, redialMaxMs: 1})
    dialer.found({address: {host: '10.0.0.9', port: 4870}, persistent: true})
    for (let attempt = 0; attempt < 40; attempt++) {
      for (let wait = 0; wait < 200 && dials.length <= attempt; wait++) await new Promise((resolve) => setTimeout(resolve, 2))
      dials[attempt]!.settle(new Error('unreachable'))
    }
    const signal = dials[0]!.signal!
    expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(2)
    await dialer.stop()
  })

  it('a static peer whose first dial failed is not dialled again once it dialled us (that would replace the connection)', async () => {
    const h = harness(SMALL, {redialMinMs: 20, redialMaxMs: 20})
    h.dialer.found({address: {host: '10.0.0.9', port: 4870}, persistent: true})
    await tick()
    expect(h.dials).toHaveLength(1)
    h.dials[0]!.settle(new Error('ECONNREFUSED: its serve was not listening yet'))
    // Meanwhile it starts and dials us: connected, known to listen at that address.
    h.connected.add(LARGE)
    h.listening.set('10.0.0.9:4870', LARGE)
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(h.dials).toHaveLength(1)
    await h.dialer.stop()
  })

  it('dial patience never drops below the request timeout, whatever the settings', () => {
    expect(dialPatienceMs(90_000, 0)).toBe(90_000)
    expect(dialPatienceMs(90_000, 3)).toBe(90_000)
    expect(dialPatienceMs(1_000, 100)).toBe(MAX_DIAL_PATIENCE_MS)
  })
})
