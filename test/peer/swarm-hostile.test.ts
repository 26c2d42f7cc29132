// Hostile partial peers (SPEC §5.1): peers whose library says they download the game, whose
// ChunkMap claims every chunk, and that then refuse them all (`busy`), serve garbage, or take
// the requests and never answer. A download still completes from the seed with the right
// bytes, and drops each for that game.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import type {DownloadView} from '../../src/download/verified-chunks.js'
import {fetchGames} from '../../src/peer/fetch-games.js'
import type {GameManifest} from '../../src/protocol/messages.js'
import {SEED_PACE_ENV} from '../../src/serving/test-pacing.js'
import {type TestPeer, eventually, startPeer} from '../helpers/peers.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const MIB = 1024 * 1024

/** A view that claims every chunk verified; `serves` says whether GetChunk gets past the check. */
function lyingView(manifest: GameManifest, serves: boolean): DownloadView {
  const chunkCount = manifest.files.reduce((sum, file) => sum + file.chunks.length, 0)
  const all = Array.from({length: chunkCount}, (_, index) => index)
  return {
    id: manifest.id,
    manifest,
    chunkCount,
    verifiedCount: chunkCount,
    has: () => true,
    hasChunk: () => serves,
    indexOf: () => undefined,
    verifiedIndexes: () => all,
    diskPath: (filePath) => filePath,
    onVerified: () => () => undefined,
  }
}

/** A peer that shows `manifest` downloading (it holds the download lock until the test ends) and lies about it. */
async function hostilePeer(seed: TestPeer, manifest: GameManifest, serves: boolean): Promise<TestPeer> {
  const peer = await startPeer({library: await makeTempLibrary([{id: 'g', name: 'G'}]), peers: [seed.address]})
  let end: () => void = () => undefined
  const held = new Promise<void>((resolve) => (end = resolve))
  const operation = peer.runtime.operations
    .download('g', {manifest_hash: manifest.manifest_hash, content_hash: manifest.content_hash}, async (game) => {
      // Garbage of the right sizes where the files go: what the one that serves sends.
      for (const file of manifest.files) await fs.writeFile(path.join(game.root, file.path), randomBytes(file.size))
      const registered = peer.runtime.downloads.add(lyingView(manifest, serves))
      await held
      registered.end()
      return {}
    })
    .catch(() => undefined)
  // The operation's end rescans and releases the game's lock: it must be over before the test
  // deletes the library (else a lock file appears while its folder is removed: ENOTEMPTY).
  beforeStop(peer, async () => {
    end()
    await operation
  })
  return peer
}

/** Runs `work` when the test stops `peer`, before the peer itself stops. */
function beforeStop(peer: TestPeer, work: () => void | Promise<void>): void {
  const stop = peer.stop.bind(peer)
  peer.stop = async () => {
    await work()
    await stop()
  }
}

/** A seed of game g (24 MiB and 5 bytes), braked to one chunk every `paceMs` so the liars are asked before it is done. */
async function pacedSeed(paceMs: number): Promise<{seed: TestPeer; manifest: GameManifest; archive: Buffer}> {
  const seedLibrary = await makeTempLibrary([{id: 'g', name: 'G'}])
  const archive = randomBytes(24 * MIB + 5)
  await seedLibrary.writeGame('g', {'version.ini': '1\n', 'a.eti': archive})
  process.env[SEED_PACE_ENV] = String(paceMs)
  const seed = await startPeer({library: seedLibrary}).finally(() => delete process.env[SEED_PACE_ENV])
  const manifest = await seed.runtime.games.getGame({type: 'GetGame', id: 'g'})
  if (manifest.type !== 'GameManifest') throw new Error(`the seed answered ${manifest.type}`)
  return {seed, manifest, archive}
}

/** A fetcher knowing the seed and the liars, once it sees the seed ready and every liar downloading the same content. */
async function fetcherMeeting(seed: TestPeer, liars: readonly TestPeer[], manifest: GameManifest): Promise<TestPeer> {
  const fetcher = await startPeer({library: await makeTempLibrary([{id: 'g', name: 'G'}]), peers: [seed, ...liars].map((peer) => peer.address)})
  const offers = (peer: TestPeer) => fetcher.runtime.table.get(peer.runtime.peerId)?.library.get('g')
  await eventually(
    () => offers(seed)?.availability === 'ready' && liars.every((peer) => offers(peer)?.content_hash === manifest.content_hash),
    'the seed ready and every liar downloading the same content',
  )
  return fetcher
}

/** The fetcher logged `peer` as `how` (e.g. "not a source for now") of game g. */
function loggedAs(fetcher: TestPeer, peer: TestPeer, how: string): boolean {
  return fetcher.logs.some((line) => line.includes(`peer ${peer.runtime.peerId} is ${how} of game g`))
}

/** What `peer` gave the fetch of game g. */
function sourceOf(games: Awaited<ReturnType<typeof fetchGames>>['games'], peer: TestPeer) {
  return games[0]!.sources.find((source) => source.peer_id === peer.runtime.peerId)
}

describe('hostile partial peers', () => {
  it('cannot stall or corrupt a download: it completes from the seed and drops the liars', async () => {
    const {seed, manifest, archive} = await pacedSeed(200)
    const refuser = await hostilePeer(seed, manifest, false)
    const garbage = await hostilePeer(seed, manifest, true)
    const fetcher = await fetcherMeeting(seed, [refuser, garbage], manifest)

    const {games} = await fetchGames(fetcher.runtime, {ids: ['g']})
    // equals(), not toEqual: a deep comparison of 24 MiB element by element takes minutes.
    expect((await fs.readFile(path.join(fetcher.library.gamesDir, 'g', 'a.eti'))).equals(archive)).toBe(true)
    expect(sourceOf(games, seed)).toMatchObject({bytes: games[0]!.bytes, kind: 'seed'})
    expect(sourceOf(games, refuser)).toMatchObject({bytes: 0, kind: 'partial'})
    expect(sourceOf(games, garbage)).toMatchObject({bytes: 0, kind: 'partial'})
    expect(games[0]!.retried_chunks).toBeGreaterThanOrEqual(1)
    // Refusals put a peer out until it offers the game anew; bad bytes put it out for good.
    expect(loggedAs(fetcher, refuser, 'not a source for now')).toBe(true)
    expect(loggedAs(fetcher, garbage, 'no longer a source')).toBe(true)
  }, 60_000)

  it('cannot stall a download by taking chunk requests and never answering them', async () => {
    const {seed, manifest, archive} = await pacedSeed(100)
    const staller = await hostilePeer(seed, manifest, true)
    // Every GetChunk is taken and held until the peer stops: before record 0042 each new request
    // restarted its 30 s timeout, and the seed was never asked for what it claims.
    let unstall: (error: Error) => void = () => undefined
    const stalled = new Promise<never>((_, reject) => (unstall = reject))
    stalled.catch(() => undefined)
    staller.runtime.games.getChunk = () => stalled
    beforeStop(staller, () => unstall(new Error('stopped')))
    const fetcher = await fetcherMeeting(seed, [staller], manifest)

    const started = Date.now()
    const {games} = await fetchGames(fetcher.runtime, {ids: ['g']})
    // 25 chunks at 100 ms from the seed, and three waits of the endgame's patience (2 s) for the staller.
    expect(Date.now() - started).toBeLessThan(20_000)
    expect((await fs.readFile(path.join(fetcher.library.gamesDir, 'g', 'a.eti'))).equals(archive)).toBe(true)
    expect(sourceOf(games, seed)).toMatchObject({bytes: games[0]!.bytes, kind: 'seed'})
    expect(sourceOf(games, staller)).toMatchObject({bytes: 0, kind: 'partial'})
    expect(loggedAs(fetcher, staller, 'not a source for now')).toBe(true)
  }, 60_000)
})
