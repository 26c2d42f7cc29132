// Swarming end to end (SPEC §5.1): one seed, three fetchers that know each other, all fetching
// the same game at once with real serve processes on loopback. The seed's upload is braked
// (LANSPREAD_TEST_SEED_CHUNK_MS, test-only) so that, as on a real LAN, the fetchers are worth
// asking: they must trade verified chunks among themselves.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {type ServeProcess, startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

interface FetchDocument {
  games: {id: string; bytes: number; sources: {peer_id: string; bytes: number; kind: string}[]}[]
}

const MIB = 1024 * 1024
/** Default liveness timings: a 1.5 s stale timeout would drop a busy peer between two chunks. */
const TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

describe('swarming (real processes on loopback)', () => {
  it('three fetchers of one seed finish with the right bytes, trading chunks among themselves', async () => {
    const seedLibrary = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const root = await seedLibrary.writeGame('quake', {'version.ini': '1.32\n'})
    // 40 MiB of random bytes: 10 chunks of 4 MiB and a tail.
    await writeTarArchive(path.join(root, 'pak0.eti'), {'baseq3/pak0.pk3': randomBytes(40 * MIB)})
    const archive = await fs.readFile(path.join(root, 'pak0.eti'))
    // The seed sends at most one chunk every 400 ms: about 10 MB/s, shared by the three.
    const seed = await startServe(seedLibrary.gamesDir, [], {...TIMINGS, LANSPREAD_TEST_SEED_CHUNK_MS: '400'}, 150_000)
    const fetchers: ServeProcess[] = []
    const dirs: string[] = []
    for (let i = 0; i < 3; i++) {
      const library = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
      const peers = [seed, ...fetchers].flatMap((serve) => ['--peer', `127.0.0.1:${serve.port}`])
      fetchers.push(await startServe(library.gamesDir, peers, TIMINGS, 150_000))
      dirs.push(library.gamesDir)
    }
    for (const fetcher of fetchers) {
      await fetcher.waitFor('the seed library', (e) => e.event === 'peer_library_changed' && e.peer_id === seed.peerId)
      for (const other of fetchers.filter((f) => f !== fetcher)) {
        await fetcher.waitFor(`peer ${other.peerId}`, (e) => e.event === 'peer_library_changed' && e.peer_id === other.peerId)
      }
    }
    const results = await Promise.all(dirs.map((dir) => runCli(['fetch', 'quake', '--no-mdns', '--games', dir, '--json'], {timeout: 120_000})))
    const fetcherIds = new Set(fetchers.map((f) => f.peerId))
    let fromFetchers = 0
    for (const [i, result] of results.entries()) {
      expect(result.exitCode, String(result.stderr)).toBe(0)
      const game = json<FetchDocument>(result).games[0]!
      expect(game.bytes).toBe(archive.length + '1.32\n'.length)
      expect((await fs.readFile(path.join(dirs[i]!, 'quake', 'pak0.eti'))).equals(archive)).toBe(true)
      expect(game.sources.reduce((sum, source) => sum + source.bytes, 0)).toBe(game.bytes)
      for (const source of game.sources) expect(['seed', 'partial']).toContain(source.kind)
      if (game.sources.some((source) => fetcherIds.has(source.peer_id) && source.bytes > 0)) fromFetchers++
    }
    expect(fromFetchers).toBeGreaterThanOrEqual(2)
  }, 180_000)
})
