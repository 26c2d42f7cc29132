// A peer without QUIC (Windows, macOS; LANSPREAD_QUIC=0 here) and a QUIC peer meet over the
// portable transport: they sync libraries and fetch from each other (record 0033).
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const NO_QUIC = {LANSPREAD_QUIC: '0'}
/** Default liveness timings: a 1.5 s stale timeout would drop a downloader between two slow chunks. */
const TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

interface StatusDocument {
  transports: string[]
  portable_port: number | null
  quic_missing: string | null
  peers: {peer_id: string}[]
}

describe('a QUIC peer and a peer without QUIC', () => {
  it('sync and fetch from each other over the portable transport, and each says which transports it runs', async () => {
    const a = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const root = await a.writeGame('quake', {'version.ini': '1.32\n'})
    await writeTarArchive(path.join(root, 'pak0.eti'), {'baseq3/pak0.pk3': randomBytes(5 * 1024 * 1024 + 7)})
    const b = await makeTempLibrary([{id: 'doom', name: 'Doom'}])
    await b.writeGame('doom', {'version.ini': '1.9\n', 'doom.eti': 'doom bytes'})

    const withQuic = await startServe(a.gamesDir, [], TIMINGS)
    // The peer without QUIC dials the QUIC peer's static address: over TCP --port + 1.
    const withoutQuic = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${withQuic.port}`], {...TIMINGS, ...NO_QUIC})
    await withQuic.waitFor('the library of the peer without QUIC', (e) => e.event === 'peer_library_changed' && e.peer_id === withoutQuic.peerId)
    await withoutQuic.waitFor('the library of the QUIC peer', (e) => e.event === 'peer_library_changed' && e.peer_id === withQuic.peerId)
    expect(withoutQuic.stderr()).not.toContain('Error:')

    const statusA = json<StatusDocument>(await runCli(['status', '--games', a.gamesDir, '--json']))
    expect(statusA).toMatchObject({transports: ['quic', 'portable'], portable_port: withQuic.port + 1, quic_missing: null})
    const statusB = json<StatusDocument>(await runCli(['status', '--games', b.gamesDir, '--json']))
    expect(statusB).toMatchObject({transports: ['portable'], quic_missing: 'turned off (LANSPREAD_QUIC=0)'})

    // Chunks over the peer transport itself (--no-bulk), both ways.
    const fetchedByB = await runCli(['fetch', 'quake', '--no-bulk', '--games', b.gamesDir, '--json'], {timeout: 90_000})
    expect(fetchedByB.exitCode, String(fetchedByB.stderr)).toBe(0)
    expect(json<{games: {sources: {transport: string}[]}[]}>(fetchedByB).games[0]!.sources).toEqual([expect.objectContaining({transport: 'portable'})])
    expect((await fs.readFile(path.join(b.gamesDir, 'quake', 'pak0.eti'))).equals(await fs.readFile(path.join(root, 'pak0.eti')))).toBe(true)
    const fetchedByA = await runCli(['fetch', 'doom', '--games', a.gamesDir, '--json'], {timeout: 90_000})
    expect(fetchedByA.exitCode, String(fetchedByA.stderr)).toBe(0)
    expect(await fs.readFile(path.join(a.gamesDir, 'doom', 'doom.eti'), 'utf8')).toBe('doom bytes')
  }, 150_000)
})
