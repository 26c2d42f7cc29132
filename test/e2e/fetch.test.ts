import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {type CliOptions, json, runCli as runCliProcess} from '../helpers/cli.js'
import {startServe as startServeProcess} from '../helpers/serve-process.js'
import {PEER_TRANSPORTS, transportEnv} from '../helpers/transports.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

interface FetchDocument {
  games: {
    id: string
    eti_version: string
    manifest_hash: string
    bytes: number
    reused_bytes: number
    elapsed_ms: number
    sources: {peer_id: string; bytes: number; transport: string}[]
    retried_chunks: number
    installed: boolean
  }[]
}

/** A source library with one game: an archive of random bytes, a nested file and the sentinel. */
async function sourceLibrary(): Promise<{library: TempLibrary; archive: Buffer}> {
  const library = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
  const root = await library.writeGame('quake', {'version.ini': '1.32\n', 'data/readme.txt': 'read me'})
  await writeTarArchive(path.join(root, 'pak0.eti'), {'baseq3/pak0.pk3': randomBytes(6 * 1024 * 1024 + 123)})
  return {library, archive: await fs.readFile(path.join(root, 'pak0.eti'))}
}

/** Default liveness timings: a 1.5 s stale timeout would drop a downloader between two slow chunks. */
const DEFAULT_TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

async function emptyLibrary(): Promise<TempLibrary> {
  return makeTempLibrary([{id: 'quake', name: 'Quake'}])
}

describe.each(PEER_TRANSPORTS)('lanspread fetch over %s (real processes on loopback)', (kind) => {
  // Serves and the one-shot fetches alike run without QUIC in the portable run (LANSPREAD_QUIC=0).
  const startServe = (gamesDir: string, args: string[], env: Record<string, string>) => startServeProcess(gamesDir, args, {...env, ...transportEnv(kind)})
  const runCli = (args: string[], options: CliOptions = {}) => runCliProcess(args, {...options, env: {...options.env, ...transportEnv(kind)}})

  it('downloads through serve from the peer that has the game, verified, and installs it', async () => {
    const {library: a, archive} = await sourceLibrary()
    const b = await emptyLibrary()
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`], DEFAULT_TIMINGS)
    await serveB.waitFor('a library', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)
    const fetched = await runCli(['fetch', 'quake', '--install', '--no-mdns', '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(fetched.exitCode).toBe(0)
    const document = json<FetchDocument>(fetched)
    expect(document.games).toHaveLength(1)
    expect(document.games[0]).toMatchObject({
      id: 'quake',
      eti_version: '1.32',
      reused_bytes: 0,
      retried_chunks: 0,
      installed: true,
      sources: [{peer_id: serveA.peerId}],
    })
    expect(document.games[0]!.bytes).toBe(archive.length + 'read me'.length + '1.32\n'.length)
    expect((await fs.readFile(path.join(b.gamesDir, 'quake', 'pak0.eti'))).equals(archive)).toBe(true)
    expect(await fs.readFile(path.join(b.gamesDir, 'quake', 'version.ini'), 'utf8')).toBe('1.32\n')
    expect((await fs.stat(path.join(b.gamesDir, 'quake', 'local', 'baseq3', 'pak0.pk3'))).size).toBe(6 * 1024 * 1024 + 123)
    const library = json<{games: {id: string; manifest_hash: string; availability: string}[]}>(await runCli(['library', '--games', b.gamesDir, '--json']))
    expect(library.games[0]).toMatchObject({id: 'quake', manifest_hash: document.games[0]!.manifest_hash, availability: 'ready'})
    // A second fetch finds everything on disk: only version.ini crosses the network again.
    const again = json<FetchDocument>(await runCli(['fetch', 'quake', '--no-mdns', '--games', b.gamesDir, '--json'], {timeout: 60_000}))
    expect(again.games[0]!.bytes).toBe('1.32\n'.length)
  }, 90_000)

  it('works as a one-shot peer without serve, over the peer transport alone with --no-bulk', async () => {
    const {library: a, archive} = await sourceLibrary()
    const b = await emptyLibrary()
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS)
    const fetched = await runCli(['fetch', 'quake', '--no-bulk', '--no-mdns', '--peer', `127.0.0.1:${serveA.port}`, '--games', b.gamesDir, '--json'], {
      timeout: 120_000,
    })
    expect(fetched.exitCode).toBe(0)
    expect(json<FetchDocument>(fetched).games[0]).toMatchObject({id: 'quake', installed: false, sources: [{transport: kind}]})
    expect((await fs.readFile(path.join(b.gamesDir, 'quake', 'pak0.eti'))).equals(archive)).toBe(true)
  }, 150_000)

  it('exits with distinct codes: no peers, and a game no peer has', async () => {
    const {library: a} = await sourceLibrary()
    const b = await emptyLibrary()
    const noPeers = await runCli(['fetch', 'quake', '--no-mdns', '--games', b.gamesDir, '--json'])
    expect(noPeers.exitCode).toBe(9)
    expect(json(noPeers)).toMatchObject({error: {code: 'no_peers'}})
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS)
    const missing = await runCli(['fetch', 'doom', '--no-mdns', '--peer', `127.0.0.1:${serveA.port}`, '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(missing.exitCode).toBe(3)
    expect(json(missing)).toMatchObject({error: {code: 'not_found', message: expect.stringContaining('doom')}})
  }, 90_000)
})
