// Two peers in network namespaces find each other over mDNS, sync and fetch a game at bulk
// speed: both without QUIC (as two Windows machines), and one with QUIC and one without
// (record 0033). Two QUIC peers are discovery.lan.test.ts's ten.
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {TransportName} from '../../src/words/transports.js'
import {CLI} from '../helpers/cli.js'
import {type Lan as LanType, Lan, converge, lanUnavailable} from '../helpers/lan.js'
import {missingOutsideCi} from '../helpers/requirements.js'
import {writeGame} from '../helpers/synthetic-game.js'
import {transportEnv} from '../helpers/transports.js'

const unavailable = await lanUnavailable()
const GAME_MIB = 64

const PAIRS: readonly (readonly [TransportName, TransportName])[] = [
  ['portable', 'portable'],
  ['quic', 'portable'],
]

describe.skipIf(missingOutsideCi(unavailable))('two peers on a LAN of namespaces', () => {
  let lan: LanType
  beforeAll(async () => {
    lan = await Lan.create()
  })
  afterAll(async () => {
    await lan?.destroy()
  })

  it.each(PAIRS)(
    'a %s seed and a %s fetcher discover each other over mDNS, sync and fetch at bulk speed',
    async (seedKind, fetcherKind) => {
      const [seedNode, fetcherNode] = await Promise.all([lan.addNode(), lan.addNode()])
      const seedDir = await lan.tempDir('lanspread-lan-seed-')
      await writeGame(path.join(seedDir, 'big'), 2, GAME_MIB, '1.0')
      await fs.writeFile(path.join(seedDir, 'catalog.json'), JSON.stringify([{id: 'big', name: 'Big'}]))
      const fetcherDir = await lan.gamesFolder([])
      const seed = await lan.startServe(seedNode, seedDir, [], transportEnv(seedKind))
      const fetcher = await lan.startServe(fetcherNode, fetcherDir, [], transportEnv(fetcherKind))
      await converge([seed, fetcher], (peer) => (peer === seed ? 1 : 0), 60_000)

      const fetched = await lan.exec(fetcherNode, 'node', [CLI, 'fetch', 'big', '--games', fetcherDir, '--json'], {
        timeout: 120_000,
        env: transportEnv(fetcherKind),
      })
      expect(fetched.exitCode, String(fetched.stderr)).toBe(0)
      type Sources = {peer_id: string; transport: string}[]
      const game = (JSON.parse(String(fetched.stdout)) as {games: {bytes: number; elapsed_ms: number; sources: Sources}[]}).games[0]!
      expect(game.sources).toEqual([expect.objectContaining({peer_id: seed.peerId, transport: 'bulk-tls'})])
      const mbPerS = game.bytes / 1e6 / (game.elapsed_ms / 1000)
      process.stdout.write(`test:lan: ${seedKind} seed → ${fetcherKind} fetcher: ${GAME_MIB} MiB in ${game.elapsed_ms} ms (${mbPerS.toFixed(0)} MB/s)\n`)
      expect(await fs.readdir(path.join(fetcherDir, 'big'))).toEqual(expect.arrayContaining(['version.ini']))
      // The next pair shares this LAN: these two leave it, so they are not its sources.
      for (const peer of [seed, fetcher]) {
        peer.child.kill('SIGTERM')
        await peer.child
      }
    },
    240_000,
  )
})
