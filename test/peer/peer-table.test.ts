import {describe, expect, it} from 'vitest'
import {libraryDigest} from '../../src/library/library-revision.js'
import {PeerTable} from '../../src/peer/peer-table.js'

const intro = (port: number, host = '127.0.0.1') => ({
  peer_id: 'p1',
  hostname: 'box',
  address: {host, port},
  proto_ver: 1,
  features: [],
  bulk_port: null,
  cert_fingerprint: 'f',
})

describe('PeerTable', () => {
  it('keys peers by peer_id: a new address updates the entry, never duplicates it', () => {
    let now = 1000
    const table = new PeerTable(() => now)
    const found: string[] = []
    table.on('peer_found', (p) => found.push(p.peer_id))
    table.introduce(intro(4000))
    now = 2000
    const {isNew} = table.introduce(intro(5000))
    expect(isNew).toBe(false)
    expect(found).toEqual(['p1'])
    expect(table.list()).toHaveLength(1)
    expect(table.list()[0]!.addresses).toEqual(['127.0.0.1:5000', '127.0.0.1:4000'])
    expect(table.list()[0]!.last_seen).toBe(new Date(2000).toISOString())
  })

  it('finds peers silent past a timeout, and emits peer_lost with the reason on removal', () => {
    let now = 0
    const table = new PeerTable(() => now)
    const lost: string[] = []
    table.on('peer_lost', (p) => lost.push(`${p.peer_id}:${p.reason}`))
    table.introduce(intro(4000))
    now = 50_000
    expect(table.silentFor(90_000)).toHaveLength(0)
    now = 100_000
    expect(table.silentFor(90_000).map((r) => r.peer_id)).toEqual(['p1'])
    table.touch('p1')
    expect(table.silentFor(90_000)).toHaveLength(0)
    expect(table.remove('p1', 'goodbye')).toBe(true)
    expect(table.remove('p1', 'goodbye')).toBe(false)
    expect(lost).toEqual(['p1:goodbye'])
  })

  it('formats IPv6 addresses with brackets', () => {
    const table = new PeerTable()
    table.introduce(intro(4000, '::1'))
    expect(table.list()[0]!.addresses).toEqual(['[::1]:4000'])
  })

  it("keeps the libraries of at most `keep` peers not connected, the most recently seen; never a connected peer's", () => {
    let now = 0
    const table = new PeerTable(() => now)
    const ids = Array.from({length: 30}, (_, i) => `p${i}`)
    for (const [i, peer_id] of ids.entries()) {
      now = i
      const {record} = table.introduce({...intro(4000 + i), peer_id})
      expect(record.library.applySnapshot({library_epoch: 'e', library_rev: 1, library_digest: libraryDigest([]), games: []})).toBe('applied')
    }
    const connected = new Set(['p0', 'p1'])
    expect(table.trimLibraries(16, (peerId) => connected.has(peerId))).toBe(12)
    const holding = ids.filter((peerId) => table.get(peerId)!.library.position !== undefined)
    expect(holding).toEqual(['p0', 'p1', ...ids.slice(14)])
  })
})
