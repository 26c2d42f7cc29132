import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {avahiBrowse, avahiUnavailable, startAvahi} from '../helpers/avahi.js'
import {type Lan as LanType, type LanPeer, Lan, converge, lanUnavailable, writeGames} from '../helpers/lan.js'
import {missingOutsideCi} from '../helpers/requirements.js'

const unavailable = await lanUnavailable()
if (unavailable) process.stdout.write(`test:lan skipped: ${unavailable}\n`)

// The LAN: ten peers, each expecting the nine others.
const PEERS = 10
const noAvahi = unavailable ? 'no LAN' : await avahiUnavailable()
if (!unavailable && noAvahi) process.stdout.write(`test:lan: the avahi test is skipped: ${noAvahi}\n`)

interface PeersDocument {
  peers: {peer_id: string; addresses: string[]; game_count: number; library_rev: number | null}[]
  source: string
}

describe.skipIf(missingOutsideCi(unavailable))('a LAN of real peers over mDNS in network namespaces', () => {
  let lan: LanType
  const peers: LanPeer[] = []

  beforeAll(async () => {
    lan = await Lan.create()
  })
  afterAll(async () => {
    await lan?.destroy()
  })

  it(`${PEERS} peers converge, each listing the others and their games; peers --expect ${PEERS - 1} passes in each`, async () => {
    const started = Date.now()
    const nodes = await Promise.all(Array.from({length: PEERS}, () => lan.addNode()))
    const folders = await Promise.all(nodes.map((node) => lan.gamesFolder([`game-${node.index}`])))
    peers.push(...(await Promise.all(nodes.map((node, i) => lan.startServe(node, folders[i]!)))))
    const afterStart = Date.now()
    const ms = await converge(peers, () => 1, 60_000)
    process.stdout.write(`test:lan: ${PEERS} peers converged ${ms} ms after the last one listened (${Date.now() - started} ms with namespaces and start)\n`)
    expect(afterStart).toBeGreaterThan(0)
    // Every node knows every other by a permanent ARP entry: the namespaces share one kernel
    // table, which 40 nodes would overflow (bench:lan), cutting pairs apart below QUIC.
    for (const node of [nodes[0]!, nodes[PEERS - 1]!]) {
      const neigh = String((await lan.exec(node, 'ip', ['neigh', 'show', 'nud', 'permanent'])).stdout)
      expect(
        nodes.filter((other) => other !== node && !neigh.includes(`${other.address} `)).map((other) => other.address),
        neigh,
      ).toEqual([])
    }
    for (const peer of peers) {
      const result = await lan.cli(peer.node, ['peers', '--expect', String(PEERS - 1), '--wait', '10', '--games', peer.gamesDir, '--json'])
      expect(result.exitCode, String(result.stderr)).toBe(0)
      const document = JSON.parse(String(result.stdout)) as PeersDocument
      expect(document.source).toBe('serve')
      expect(document.peers.map((p) => p.peer_id).sort()).toEqual(
        peers
          .filter((p) => p !== peer)
          .map((p) => p.peerId)
          .sort(),
      )
      expect(document.peers.every((p) => p.game_count === 1)).toBe(true)
    }
  })

  it('peers without serve browses mDNS itself; --expect more than there are exits 9 saying where it looked', async () => {
    const node = await lan.addNode()
    const games = await lan.gamesFolder([])
    const found = await lan.cli(node, ['peers', '--wait', '5', '--expect', String(PEERS), '--games', games, '--json'])
    expect(found.exitCode, String(found.stderr)).toBe(0)
    const document = JSON.parse(String(found.stdout)) as PeersDocument
    expect(document.source).toBe('mdns')
    expect(document.peers.map((p) => p.peer_id).sort()).toEqual(peers.map((p) => p.peerId).sort())
    expect(document.peers.every((p) => p.game_count === 1 && p.addresses[0]!.startsWith('10.231.0.'))).toBe(true)
    // AAAA beside A: each veth has an IPv6 link-local address, listed scoped to the interface it was heard on.
    expect(
      document.peers.every((p) => p.addresses.some((address) => /^\[fe80:[0-9a-f:]+%eth0\]:4870$/.test(address))),
      JSON.stringify(document.peers.map((p) => p.addresses)),
    ).toBe(true)
    const tooMany = await lan.cli(node, ['peers', '--wait', '2', '--expect', String(PEERS + 3), '--games', games, '--json'])
    expect(tooMany.exitCode).toBe(9)
    expect(JSON.parse(String(tooMany.stdout))).toMatchObject({
      error: {code: 'no_peers', message: expect.stringMatching(new RegExp(`found ${PEERS} peers, expected at least ${PEERS + 3}, over mDNS for 2 s on eth0`))},
    })
  })

  it.skipIf(missingOutsideCi(noAvahi))('avahi-browse (avahi-daemon in a namespace) resolves our service with its TXT records', async () => {
    expect(peers).toHaveLength(PEERS)
    const node = await lan.addNode()
    const bus = await startAvahi(lan, node)
    const lines = await avahiBrowse(lan, node, bus, (found) =>
      peers.every((peer) => found.some((line) => line.includes(peer.peerId) && line.includes('cert='))),
    )
    process.stdout.write(`test:lan: avahi-browse resolved ${lines.length} instance(s), e.g. ${lines[0]}\n`)
    for (const peer of peers) {
      const line = lines.find((l) => l.split(';')[3] === peer.peerId)
      expect(line, lines.join('\n')).toBeDefined()
      // =;eth0;IPv4;<instance>;_lanspread._udp;local;<host>;<address>;<port>;"key=value" …
      const [, , , , type, domain, host, address, port, txt] = line!.split(';')
      // Avahi resolves the host to our A or our AAAA (link-local) record: both are ours.
      expect([type, domain, host, /^(10\.231\.0\.\d+|fe80:[0-9a-f:]+)$/.test(address ?? ''), port], line).toEqual([
        '_lanspread._udp',
        'local',
        `${peer.peerId}.local`,
        true,
        '4870',
      ])
      expect(txt).toContain(`"peer_id=${peer.peerId}"`)
      for (const key of ['proto_ver=1', 'library_rev=', 'library_epoch=', 'hostname=', 'cert=']) expect(txt).toContain(key)
    }
  })

  it('a game added on one peer reaches all', async () => {
    const [first, ...others] = peers
    await writeGames(first!.gamesDir, ['added-later'])
    for (const other of others)
      await other.waitFor('the new game', (e) => e.event === 'peer_library_changed' && e.peer_id === first!.peerId && e.game_count === 2, 20_000)
  })

  it('a stopped peer disappears from the others at once (goodbye), a killed one after the stale timeout', async () => {
    const stopped = peers[PEERS - 1]!
    const killed = peers[PEERS - 2]!
    const others = peers.slice(0, PEERS - 2)
    const stopAt = Date.now()
    stopped.child.kill('SIGTERM')
    for (const other of others) await other.waitFor('goodbye', (e) => e.event === 'peer_lost' && e.peer_id === stopped.peerId, 5000)
    const goodbyeMs = Date.now() - stopAt
    const killAt = Date.now()
    killed.child.kill('SIGKILL')
    for (const other of others) {
      const lost = await other.waitFor('stale', (e) => e.event === 'peer_lost' && e.peer_id === killed.peerId, 15_000)
      expect(lost.reason).toBe('stale')
    }
    process.stdout.write(`test:lan: stopped peer gone from all in ${goodbyeMs} ms, killed one in ${Date.now() - killAt} ms (stale timeout 4000 ms)\n`)
    expect(goodbyeMs).toBeLessThan(3000)
  })

  it('a peer restarted at a new address keeps its entry (same peer_id, new address, its games)', async () => {
    const moved = peers[PEERS - 1]!
    await moved.child
    const node = await lan.addNode()
    const again = await lan.startServe(node, moved.gamesDir)
    expect(again.peerId).toBe(moved.peerId)
    const others = peers.slice(0, PEERS - 2)
    for (const other of others)
      await other.waitFor(
        'the moved peer',
        (e) =>
          e.event === 'peer_library_changed' &&
          e.peer_id === moved.peerId &&
          other.events.indexOf(e) > other.events.findIndex((x) => x.event === 'peer_lost' && x.peer_id === moved.peerId),
        20_000,
      )
    const listed = await lan.cli(others[0]!.node, ['peers', '--games', others[0]!.gamesDir, '--json'])
    const entry = (JSON.parse(String(listed.stdout)) as PeersDocument).peers.filter((p) => p.peer_id === moved.peerId)
    expect(entry).toHaveLength(1)
    expect(entry[0]!.addresses[0]).toBe(`${node.address}:4870`)
    expect(entry[0]!.game_count).toBe(1)
  })
})
