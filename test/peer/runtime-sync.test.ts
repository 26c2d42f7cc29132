import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {eventually, gamesOf, startPeer} from '../helpers/peers.js'
import {makeTempDir} from '../helpers/temp-library.js'

const GAME = {'version.ini': '1.0\n', 'data.eti': 'archive bytes'}

describe('peer runtime: library sync over QUIC on loopback', () => {
  it('two peers exchange their libraries on connect', async () => {
    const a = await startPeer({games: {alpha: GAME, beta: GAME}})
    const b = await startPeer({games: {gamma: GAME}, peers: [a.address]})
    await eventually(() => gamesOf(b, a).length === 2 && gamesOf(a, b).length === 1, 'both libraries synced')
    expect(gamesOf(b, a)).toEqual(['alpha', 'beta'])
    expect(gamesOf(a, b)).toEqual(['gamma'])
    expect(a.runtime.table.list()).toHaveLength(1)
    expect(b.runtime.table.get(a.runtime.peerId)?.library.position?.library_epoch).toBe(a.runtime.position().library_epoch)
  })

  it('small libraries travel inside the handshake: two peers sync without a single GetLibrary', async () => {
    const a = await startPeer({games: {alpha: GAME, beta: GAME}})
    const b = await startPeer({games: {gamma: GAME}, peers: [a.address]})
    await eventually(() => gamesOf(b, a).length === 2 && gamesOf(a, b).length === 1, 'both libraries synced')
    expect([...a.received, ...b.received]).not.toContain('GetLibrary')
    expect(b.runtime.table.get(a.runtime.peerId)?.library.position).toEqual(a.runtime.position())
  })

  it('a library larger than the handshake carries is pulled after it', async () => {
    // a's two games are over the bound; b's one game still comes in its Hello.
    const a = await startPeer({games: {alpha: GAME, beta: GAME}, handshakeGamesMax: 1})
    const b = await startPeer({games: {gamma: GAME}, peers: [a.address], handshakeGamesMax: 1})
    await eventually(() => gamesOf(b, a).length === 2 && gamesOf(a, b).length === 1, 'both libraries synced')
    expect(a.received.filter((type) => type === 'GetLibrary')).toHaveLength(1)
    expect(b.received).not.toContain('GetLibrary')
  })

  it('three peers all converge', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const b = await startPeer({games: {beta: GAME}, peers: [a.address]})
    const c = await startPeer({games: {gamma: GAME}, peers: [a.address, b.address]})
    const all = [a, b, c]
    await eventually(() => all.every((p) => all.filter((q) => q !== p).every((q) => gamesOf(p, q).length === 1)), 'everyone knows everyone')
    for (const p of all) expect(p.runtime.table.list()).toHaveLength(2)
  })

  it('a pull that failed is tried again later, though nothing announces the library again (static peers, no mDNS)', async () => {
    // b's library is pulled, not sent in its HelloAck.
    const b = await startPeer({games: {beta: GAME}, handshakeGamesMax: 0})
    // b's first answer to GetLibrary fails (as a pull on the connection a crossing dial closed does).
    let failNext = true
    const snapshot = b.runtime.library.snapshot.bind(b.runtime.library)
    b.runtime.library.snapshot = () => {
      const real = snapshot()
      if (!failNext) return real
      return new Proxy(real, {
        get(target, key, receiver) {
          if (key === 'games' && failNext) {
            failNext = false
            throw new Error('the library was busy')
          }
          return Reflect.get(target, key, receiver)
        },
      })
    }
    const a = await startPeer({peers: [b.address]})
    await eventually(() => a.logs.some((line) => line.includes(`could not sync the library of peer ${b.runtime.peerId}`)), 'the failed pull')
    await eventually(() => gamesOf(a, b).length === 1, 'the library after the retry')
    expect(failNext).toBe(false)
  })

  it('a game added, changed or removed reaches the other peers as exactly one delta each', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const b = await startPeer({peers: [a.address]})
    const c = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).length === 1 && gamesOf(c, a).length === 1, 'initial sync')
    const baseline = (p: typeof b) => p.received.filter((t) => t === 'LibraryDelta' || t === 'LibrarySummary').length
    const before = [baseline(b), baseline(c)]
    const pullsBefore = a.received.filter((t) => t === 'GetLibrary').length

    await a.library.writeCatalog([
      {id: 'alpha', name: 'alpha'},
      {id: 'delta', name: 'delta'},
    ])
    await a.runtime.library.reloadCatalog()
    // Each change is one rename or one write, so it is one revision whatever the watcher's timing.
    const staging = await makeTempDir()
    for (const [name, content] of Object.entries(GAME)) await fs.writeFile(path.join(staging, name), content)
    await fs.rename(staging, path.join(a.library.gamesDir, 'delta'))
    await eventually(() => gamesOf(b, a).includes('delta') && gamesOf(c, a).includes('delta'), 'the added game')
    await fs.writeFile(path.join(a.library.gamesDir, 'delta', 'version.ini'), '2.0\n')
    await eventually(() => b.runtime.table.get(a.runtime.peerId)?.library.get('delta')?.eti_version === '2.0', 'the changed game')
    await eventually(() => c.runtime.table.get(a.runtime.peerId)?.library.get('delta')?.eti_version === '2.0', 'the changed game on c')
    await fs.rename(path.join(a.library.gamesDir, 'delta'), path.join(await makeTempDir(), 'gone'))
    await eventually(() => !gamesOf(b, a).includes('delta') && !gamesOf(c, a).includes('delta'), 'the removed game')

    const after = [baseline(b), baseline(c)]
    expect(after[0]! - before[0]!).toBe(3)
    expect(after[1]! - before[1]!).toBe(3)
    // Each change was one pushed delta: nobody had to ask a for its library again.
    expect(b.received.filter((t) => t === 'LibraryDelta')).toHaveLength(3)
    expect(a.received.filter((t) => t === 'GetLibrary').length).toBe(pullsBefore)
  })

  it('a peer restarted on a new port keeps one entry, with the new address first', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const b1 = await startPeer({peers: [a.address]})
    await eventually(() => a.runtime.table.list().length === 1, 'b known to a')
    const bId = b1.runtime.peerId
    await b1.stop()
    const b2 = await startPeer({library: b1.library, peers: [a.address]})
    expect(b2.runtime.peerId).toBe(bId)
    await eventually(() => a.runtime.table.get(bId)?.addresses[0]?.port === b2.address.port, 'the new address')
    expect(a.runtime.table.list()).toHaveLength(1)
  })

  it('a stopped peer is removed at once (goodbye), a vanished one after the stale timeout', async () => {
    const a = await startPeer({games: {alpha: GAME}})
    const b = await startPeer({peers: [a.address]})
    const c = await startPeer({peers: [a.address]})
    await eventually(() => a.runtime.table.list().length === 2, 'both known')
    const lost: string[] = []
    a.runtime.on('peer_lost', (peer) => lost.push(`${peer.peer_id === b.runtime.peerId ? 'b' : 'c'}:${peer.reason}`))
    const stoppedAt = Date.now()
    await b.stop()
    await eventually(() => lost.includes('b:goodbye'), 'b removed')
    expect(Date.now() - stoppedAt).toBeLessThan(1000)
    // c vanishes without a word: its endpoint stops, nothing says goodbye.
    await c.runtime.endpoint.stop()
    await eventually(() => lost.includes('c:stale'), 'c removed as stale', 8000)
  })
})
