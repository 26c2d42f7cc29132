import {randomUUID} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {PinStore, pinsDirFor} from '../../src/transport/pins.js'
import {makeTempDir} from '../helpers/temp-library.js'

const FP_A = 'a'.repeat(64)
const FP_B = 'b'.repeat(64)

async function makeStore(): Promise<{store: PinStore; dir: string}> {
  const dir = pinsDirFor(await makeTempDir())
  return {store: new PinStore(dir, {now: () => new Date('2026-01-02T03:04:05.000Z')}), dir}
}

describe('peer pins', () => {
  it('says new, then match for the pinned certificate and mismatch for another', async () => {
    const {store, dir} = await makeStore()
    const peer = randomUUID()
    expect(await store.check(peer, FP_A)).toBe('new')
    expect(await store.admit(peer, FP_A)).toBe('new')
    expect(await store.check(peer, FP_A)).toBe('match')
    expect(await store.admit(peer, FP_A)).toBe('match')
    expect(await store.admit(peer, FP_B)).toBe('mismatch')
    expect(await store.check(peer, FP_A.toUpperCase())).toBe('match')
    // A mismatch never replaces the pin.
    // (The match confirmed it: a pin in use is evicted last.)
    expect(await store.get(peer)).toEqual({peer_id: peer, fingerprint: FP_A, pinned_at: '2026-01-02T03:04:05.000Z', confirmed_at: '2026-01-02T03:04:05.000Z'})
    expect(JSON.parse(await fs.readFile(path.join(dir, `${peer}.json`), 'utf8'))).toMatchObject({fingerprint: FP_A})
  })

  it('keeps the first certificate when two connections claim one new peer at once', async () => {
    const {store} = await makeStore()
    const peer = randomUUID()
    const verdicts = await Promise.all([store.admit(peer, FP_A), store.admit(peer, FP_B), store.admit(peer, FP_A)])
    expect(verdicts).toEqual(['new', 'mismatch', 'match'])
  })

  it('forget removes the pin so the next certificate is accepted as new', async () => {
    const {store} = await makeStore()
    const peer = randomUUID()
    await store.pin(peer, FP_A)
    expect(await store.forget(peer)).toBe(true)
    expect(await store.forget(peer)).toBe(false)
    expect(await store.admit(peer, FP_B)).toBe('new')
    expect(await store.check(peer, FP_B)).toBe('match')
  })

  it('lists pins, skipping files that are not pins', async () => {
    const {store, dir} = await makeStore()
    const peers = [randomUUID(), randomUUID()].sort()
    for (const peer of peers) await store.pin(peer, FP_A)
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello')
    expect((await store.list()).map((p) => p.peer_id)).toEqual(peers)
    expect(await new PinStore(path.join(dir, 'absent')).list()).toEqual([])
  })

  it('refuses a peer_id that is not a UUID before it names a path', async () => {
    const {store, dir} = await makeStore()
    await expect(store.admit('../../etc/passwd', FP_A)).rejects.toMatchObject({code: 'invalid_input'})
    await expect(store.forget('..')).rejects.toMatchObject({code: 'invalid_input'})
    await expect(fs.readdir(dir)).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('refuses a fingerprint that is not SHA-256 hex', async () => {
    const {store} = await makeStore()
    await expect(store.pin(randomUUID(), 'abc')).rejects.toMatchObject({code: 'invalid_input'})
  })

  it('reports a broken pin file by name instead of treating the peer as new', async () => {
    const {store, dir} = await makeStore()
    const peer = randomUUID()
    await store.pin(peer, FP_A)
    const file = path.join(dir, `${peer}.json`)
    await fs.writeFile(file, '{"peer_id": 1')
    await expect(store.admit(peer, FP_B)).rejects.toMatchObject({code: 'invalid_input', message: expect.stringContaining(file)})
    await fs.writeFile(file, JSON.stringify({peer_id: randomUUID(), fingerprint: FP_B, pinned_at: '2026-01-02T03:04:05.000Z'}))
    await expect(store.check(peer, FP_B)).rejects.toMatchObject({code: 'invalid_input'})
  })
})

describe('bounded pins', () => {
  it("keeps at most maxPins: a flood of fresh peer_ids evicts its own one-shot pins, never a confirmed or connected peer's", async () => {
    const dir = pinsDirFor(await makeTempDir())
    let clock = Date.parse('2026-01-02T03:04:05.000Z')
    const connected = new Set<string>()
    const store = new PinStore(dir, {now: () => new Date((clock += 1000)), maxPins: 4, connected: (peerId) => connected.has(peerId)})
    const [real, online, other] = [randomUUID(), randomUUID(), randomUUID()]
    expect(await store.admit(real, FP_A)).toBe('new')
    expect(await store.admit(real, FP_A)).toBe('match') // came back: confirmed
    expect(await store.admit(online, FP_A)).toBe('new')
    connected.add(online)
    expect(await store.admit(other, FP_A)).toBe('new')
    const flood = Array.from({length: 50}, () => randomUUID())
    for (const peerId of flood) expect(await store.admit(peerId, FP_B)).toBe('new')
    const kept = (await store.list()).map((pin) => pin.peer_id)
    expect(kept).toHaveLength(4)
    expect(kept).toEqual(expect.arrayContaining([real, online]))
    expect(await fs.readdir(dir)).toHaveLength(4)
    // trust on first use still holds for the peers that stayed: another certificate is refused
    expect(await store.admit(real, FP_B)).toBe('mismatch')
    expect(await store.admit(online, FP_B)).toBe('mismatch')
    // the confirmation is on disk: a restarted store ranks the pins the same way
    const restarted = new PinStore(dir, {maxPins: 4})
    for (const peerId of Array.from({length: 10}, () => randomUUID())) await restarted.admit(peerId, FP_B)
    expect((await restarted.list()).map((pin) => pin.peer_id)).toContain(real)
    expect(await restarted.admit(real, FP_B)).toBe('mismatch')
  })

  it('goes over the bound rather than evict the pin of a connected peer', async () => {
    const dir = pinsDirFor(await makeTempDir())
    const store = new PinStore(dir, {maxPins: 2, connected: () => true})
    for (const peerId of [randomUUID(), randomUUID(), randomUUID()]) expect(await store.admit(peerId, FP_A)).toBe('new')
    expect(await store.list()).toHaveLength(3)
  })
})
