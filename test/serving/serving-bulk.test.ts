import {describe, expect, it, onTestFinished} from 'vitest'
import {MIN_CHUNK_SIZE} from '../../src/config.js'
import {BulkTlsGameSource} from '../../src/download/bulk-tls-game-source.js'
import {QuicGameSource} from '../../src/download/quic-game-source.js'
import {blake3Hex} from '../../src/library/blake3.js'
import {FEATURE_BULK_TLS} from '../../src/protocol/messages.js'
import {eventually, gamesOf, startPeer} from '../helpers/peers.js'

function pattern(length: number): Buffer {
  const data = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >> 12)) % 251
  return data
}

describe('serve: chunks over bulk TLS', () => {
  it('announces bulk-tls in Hello and serves full chunks over TLS to a peer it knows, checked against the pin', async () => {
    const bytes = pattern(2 * MIN_CHUNK_SIZE + 1000)
    const a = await startPeer({games: {g: {'version.ini': '1.0\n'}}})
    await a.library.writeGame('g', {'data.bin': bytes})
    await a.runtime.library.refresh()
    const b = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).includes('g'), 'b knows a')
    const record = b.runtime.table.get(a.runtime.peerId)!
    expect(record.features).toContain(FEATURE_BULK_TLS)
    expect(record.bulk_port).toBeGreaterThan(0)
    const control = new QuicGameSource(b.runtime.sessions.connectionOf(a.runtime.peerId)!, {peerId: a.runtime.peerId, timeoutMs: 5000})
    const source = new BulkTlsGameSource({
      peerId: a.runtime.peerId,
      host: '127.0.0.1',
      port: record.bulk_port!,
      expectedFingerprint: record.cert_fingerprint,
      certificate: b.runtime.certificate,
      control,
    })
    onTestFinished(() => source.close())
    const manifest = await source.getGame('g')
    if (manifest === 'not_modified') throw new Error('unexpected NotModified')
    const file = manifest.files.find((f) => f.path === 'data.bin')!
    for (const [index, expected] of file.chunks.entries()) {
      const offset = index * MIN_CHUNK_SIZE
      const length = Math.min(MIN_CHUNK_SIZE, bytes.length - offset)
      const chunk = await source.getChunk({id: 'g', manifest_hash: manifest.manifest_hash, path: 'data.bin', offset, length})
      expect(blake3Hex(chunk.bytes)).toBe(expected)
      expect(Buffer.from(chunk.bytes).equals(bytes.subarray(offset, offset + length))).toBe(true)
    }
  })

  it('refuses a bulk server whose certificate is not the pinned one', async () => {
    const a = await startPeer({games: {g: {'version.ini': '1.0\n', 'x.bin': 'x'}}})
    const b = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).includes('g'), 'b knows a')
    const record = b.runtime.table.get(a.runtime.peerId)!
    const control = new QuicGameSource(b.runtime.sessions.connectionOf(a.runtime.peerId)!, {peerId: a.runtime.peerId, timeoutMs: 5000})
    const source = new BulkTlsGameSource({
      peerId: a.runtime.peerId,
      host: '127.0.0.1',
      port: record.bulk_port!,
      expectedFingerprint: 'f'.repeat(64),
      certificate: b.runtime.certificate,
      control,
    })
    onTestFinished(() => source.close())
    const manifest = await source.getGame('g')
    if (manifest === 'not_modified') throw new Error('unexpected NotModified')
    await expect(source.getChunk({id: 'g', manifest_hash: manifest.manifest_hash, path: 'x.bin', offset: 0, length: 1})).rejects.toMatchObject({
      code: 'integrity',
    })
  })

  it('does not announce bulk-tls with bulk off', async () => {
    const a = await startPeer({games: {g: {'version.ini': '1.0\n'}}, bulk: false})
    const b = await startPeer({peers: [a.address]})
    await eventually(() => gamesOf(b, a).includes('g'), 'b knows a')
    // The transports are announced; bulk-tls is not.
    expect(b.runtime.table.get(a.runtime.peerId)).toMatchObject({features: ['quic', 'portable'], bulk_port: null})
  })
})
