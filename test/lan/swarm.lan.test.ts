import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Lan as LanType, Lan, lanUnavailable} from '../helpers/lan.js'
import {missingOutsideCi} from '../helpers/requirements.js'
import {type FetchOutcome, GAME_ID, type Host, UploadMeter, lastProgress, startFetch, startServe, stopServe, waitForMesh} from '../helpers/swarm-hosts.js'
import {CHUNK, MiB, writeGame} from '../helpers/synthetic-game.js'

const unavailable = await lanUnavailable()

// A game of 8 chunks and version.ini; the seed's upload is the bottleneck (3 fetchers at 100
// Mbit/s down, the seed 40 Mbit/s up), so the fetchers hold the game between them well before
// each has all of it.
const GAME_MIB = 32
const CHUNKS = (GAME_MIB * MiB) / CHUNK + 1
const FETCHERS = 3

describe.skipIf(missingOutsideCi(unavailable))('swarming on a shaped LAN of network namespaces', () => {
  let lan: LanType
  let seed: Host
  let fetchers: Host[]
  let seedDir: string

  beforeAll(async () => {
    lan = await Lan.create()
    seed = {name: 'seed', node: await lan.addNode()}
    fetchers = await Promise.all(Array.from({length: FETCHERS}, async (_, i) => ({name: `f${i + 1}`, node: await lan.addNode()})))
    await lan.shape(seed.node, {upMbit: 40, downMbit: 100})
    for (const host of fetchers) await lan.shape(host.node, {upMbit: 100, downMbit: 100})
    seedDir = await lan.tempDir('lanspread-swarm-seed-')
    await writeGame(path.join(seedDir, GAME_ID), 2, GAME_MIB, '1.0')
    await fs.writeFile(path.join(seedDir, 'catalog.json'), JSON.stringify([{id: GAME_ID, name: 'Big game'}]))
    await startServe(lan, seed, seedDir, [], 60_000)
    for (const host of fetchers) host.dir = await lan.gamesFolder([])
    await Promise.all(fetchers.map((host) => startServe(lan, host, host.dir!, [seed, ...fetchers.filter((other) => other !== host)], 60_000)))
    await waitForMesh(seed, fetchers, 60_000)
  })

  afterAll(async () => {
    for (const host of [seed, ...(fetchers ?? [])]) if (host) await stopServe(host)
    await lan?.destroy()
  })

  it('fetchers finish from each other once the seed left after sending every chunk once', async () => {
    const meter = await UploadMeter.of(seedDir)
    const seedId = seed.serve!.peerId
    const running = fetchers.map((host) => startFetch(lan, host, 150_000))
    const outcomes = Promise.all(running.map((fetch) => fetch.done))
    const started = Date.now()
    let left = false
    while (!left && Date.now() - started < 120_000) {
      const received = fetchers.reduce((sum, host) => sum + (lastProgress(host)?.sources.get(seedId) ?? 0), 0)
      const handedOut = await meter.poll()
      if (meter.distinctChunks >= CHUNKS && received >= handedOut) {
        await stopServe(seed)
        left = true
      } else await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(left, 'the seed never handed out every chunk once').toBe(true)

    const done: FetchOutcome[] = await outcomes
    const expected = await gameHashes(path.join(seedDir, GAME_ID))
    for (const outcome of done) {
      expect(outcome.error, `${outcome.host.name}: ${outcome.error}`).toBeUndefined()
      const fromOthers = outcome.game!.sources.filter((source) => source.peer_id !== seedId).reduce((sum, source) => sum + source.bytes, 0)
      expect(fromOthers, `${outcome.host.name} took nothing from another fetcher`).toBeGreaterThan(0)
      expect(await gameHashes(path.join(outcome.host.dir!, GAME_ID))).toEqual(expected)
    }
  })
})

/** BLAKE-free check of a fetched folder: each payload file's SHA-256 (version.ini included). */
async function gameHashes(root: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {}
  for (const name of (await fs.readdir(root)).sort()) {
    const file = path.join(root, name)
    if (!(await fs.stat(file)).isFile()) continue
    hashes[name] = createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex')
  }
  return hashes
}
