import {describe, expect, it} from 'vitest'
import {ChunkPermits, type ReleasePermit} from '../../src/serving/chunk-permits.js'

const WAIT_MS = 60_000

/** Lets granted promises settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Peers each queue `perPeer` requests up front; then, one at a time, the oldest permit held is
 * released (a chunk sent) and whoever is granted queues one more request (the fetcher keeps its
 * pipeline full). Returns the grants per peer after the first `warmup` releases.
 */
async function run(permits: ChunkPermits, peers: {id: string; address?: string; queued: number}[], releases: number, warmup: number) {
  const held: {peer: string; release: ReleasePermit}[] = []
  const counts = new Map(peers.map((p) => [p.id, 0]))
  let counting = false
  const ask = (peer: {id: string; address?: string}) => {
    void permits.acquire(peer.id, WAIT_MS, peer.address).then((release) => {
      held.push({peer: peer.id, release})
      if (counting) counts.set(peer.id, counts.get(peer.id)! + 1)
    })
  }
  for (const peer of peers) for (let i = 0; i < peer.queued; i++) ask(peer)
  await settle()
  for (let step = 0; step < releases; step++) {
    counting = step >= warmup
    const oldest = held.shift()!
    oldest.release()
    ask(peers.find((p) => p.id === oldest.peer)!)
    await settle()
  }
  counting = false
  // Drain: every request still queued is granted and released, so no timer is left behind.
  const outstanding = peers.reduce((sum, p) => sum + p.queued, 0)
  for (let i = 0; i < outstanding && held.length > 0; i++) {
    held.shift()!.release()
    await settle()
  }
  expect(permits.inUse()).toBe(0)
  return counts
}

describe('ChunkPermits: fair grants between peers', () => {
  it('twelve fetchers queueing many requests each at one seed get grants within one of each other', async () => {
    const permits = new ChunkPermits({perPeer: 8, total: 32, perAddress: 16, reserved: 8})
    const peers = Array.from({length: 12}, (_, i) => ({id: `fetcher-${i}`, address: `10.0.0.${i + 1}`, queued: 20}))
    const counts = await run(permits, peers, 1200, 96)
    const values = [...counts.values()]
    expect(values.reduce((a, b) => a + b)).toBe(1200 - 96)
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1)
  })

  it('does not let the first peers to queue take the slots for good (FIFO would starve the late ones)', async () => {
    const permits = new ChunkPermits({perPeer: 8, total: 16})
    const early = [0, 1].map((i) => ({id: `early-${i}`, queued: 40}))
    const late = [0, 1, 2, 3].map((i) => ({id: `late-${i}`, queued: 4}))
    const counts = await run(permits, [...early, ...late], 600, 60)
    const values = [...counts.values()]
    expect(Math.min(...values)).toBeGreaterThan(0)
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1)
  })

  it('shares between addresses first: many peer_ids of one address get one address’s share', async () => {
    const permits = new ChunkPermits({perPeer: 4, total: 8, perAddress: 8})
    const sybils = Array.from({length: 4}, (_, i) => ({id: `sybil-${i}`, address: '10.0.0.9', queued: 4}))
    // More queued than it may hold, so it always has a request waiting when one of its chunks is sent.
    const honest = {id: 'honest', address: '10.0.0.1', queued: 8}
    const counts = await run(permits, [...sybils, honest], 400, 40)
    const sybilTotal = sybils.reduce((sum, s) => sum + counts.get(s.id)!, 0)
    // The honest address is capped by its peer's perPeer (4 of 8 slots): half the grants, as the sybils' address.
    expect(Math.abs(counts.get('honest')! - sybilTotal)).toBeLessThanOrEqual(2)
  })

  it('keeps every limit: per peer, per address, in total, and the reserve for addresses not served yet', async () => {
    const permits = new ChunkPermits({perPeer: 2, total: 6, perAddress: 4, reserved: 2})
    const granted: string[] = []
    for (const [peer, address] of [
      ['a1', 'A'],
      ['a1', 'A'],
      ['a1', 'A'],
      ['a2', 'A'],
      ['a2', 'A'],
      ['a3', 'A'],
      ['b1', 'B'],
      ['b1', 'B'],
      ['c1', 'C'],
      ['d1', 'D'],
    ] as const) {
      void permits.acquire(peer, 50, address).then(
        () => granted.push(peer),
        () => undefined,
      )
    }
    await settle()
    expect(permits.inUseByAddress('A')).toBe(4) // a3 waits: its address is at its cap
    expect(permits.inUse('a1')).toBe(2) // a1's third waits: its own cap
    // B and C, holding nothing, take the reserve of 2; B's second and D wait.
    expect(permits.inUseByAddress('B')).toBe(1)
    expect(permits.inUse()).toBe(6)
    expect(granted.sort()).toEqual(['a1', 'a1', 'a2', 'a2', 'b1', 'c1'])
  })

  it('answers busy after the wait, leaving the queue and other waiters intact', async () => {
    const permits = new ChunkPermits({perPeer: 1, total: 1})
    const first = await permits.acquire('p', WAIT_MS)
    const late = permits.acquire('q', 20)
    const patient = permits.acquire('r', WAIT_MS)
    await expect(late).rejects.toMatchObject({code: 'busy'})
    first()
    const next = await patient
    expect(permits.inUse('r')).toBe(1)
    next()
    expect(permits.inUse()).toBe(0)
  })
})
