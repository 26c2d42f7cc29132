// The API's two implementations over the same games folder (a compliance suite, as js-libp2p
// runs one against every implementation of an interface): through a running serve and on disk
// they return the same documents, byte for byte; what only serve knows fails on disk with the
// error the commands have always given.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {DiskApi} from '../../src/api/disk-api.js'
import type {LanspreadApi} from '../../src/api/lanspread-api.js'
import {openApi} from '../../src/api/open-api.js'
import {LibraryResultSchema, ScanResultSchema} from '../../src/control/library-documents.js'
import {RecoverResultSchema} from '../../src/control/operation-documents.js'
import {startPeer} from '../helpers/peers.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

async function twoGames(): Promise<TempLibrary> {
  const library = await makeTempLibrary([
    {id: 'quake', name: 'Quake'},
    {id: 'doom', name: 'DOOM'},
  ])
  await library.writeGame('quake', {'version.ini': '1.32\n', 'pak0.eti': 'quake bytes'})
  await library.writeGame('doom', {'version.ini': '1.9\n', 'doom.eti': 'doom bytes'})
  return library
}

/** An install that stopped midway: its intent logged, its staging folder (lanspread's) left. */
async function leaveMidInstall(library: TempLibrary, id: string): Promise<void> {
  await library.writeGame(id, {'.lanspread.json': JSON.stringify({intent: 'Installing'}), '.local.installing/.lanspread_owned': '', '.local.installing/a': 'x'})
}

/** The documents of the calls every implementation answers from the library alone. */
async function documents(api: LanspreadApi): Promise<string> {
  const library = LibraryResultSchema.parse(await api.library())
  const scan = ScanResultSchema.parse(await api.scan())
  const recover = RecoverResultSchema.parse(await api.recover({dry_run: true}))
  // The one field that differs between two runs: how long the scan took.
  return JSON.stringify({library, scan: {...scan, scan: {...scan.scan, elapsed_ms: 0}}, recover}, null, 1)
}

async function serveApi(library: TempLibrary): Promise<{api: LanspreadApi; stop(): Promise<void>}> {
  const peer = await startPeer({library, watch: false})
  const api = await openApi({paths: library.paths, warn: () => {}})
  return {
    api,
    async stop() {
      api.close()
      await peer.stop()
    },
  }
}

describe('LanspreadApi: serve and disk', () => {
  it('give the same library, scan and recover documents', async () => {
    const library = await twoGames()
    const warnings: string[] = []
    const disk = new DiskApi({paths: library.paths, warn: (message) => warnings.push(message)})
    expect(disk.via).toBe('disk')
    await disk.scan() // the cold scan: both sides then see the same index
    const serve = await serveApi(library)
    // serve recovered every game at its start: the interrupted install comes after.
    await leaveMidInstall(library, 'doom')
    expect(serve.api.via).toBe('serve')
    const viaServe = await documents(serve.api)
    await serve.stop()
    const viaDisk = await documents(disk)
    expect(viaDisk).toBe(viaServe)
    expect(viaDisk).toContain('"rolled_back"')
    expect(warnings).toContain('game doom holds an interrupted operation: run `lanspread recover doom`')
    // A dry run changed nothing.
    await expect(fs.lstat(path.join(library.gamesDir, 'doom', '.local.installing'))).resolves.toBeDefined()
  })

  it('answer what only serve knows through serve, and fail on disk as the commands always did', async () => {
    const library = await twoGames()
    const disk = new DiskApi({paths: library.paths, warn: () => {}, discovery: {mdns: false}})
    const stateDir = library.paths.stateDir
    await expect(disk.status()).rejects.toMatchObject({code: 'not_running', message: `lanspread serve is not running for ${stateDir}`})
    await expect(disk.libraryPeers()).rejects.toMatchObject({code: 'no_peers', message: `no peers known: lanspread serve is not running for ${stateDir}`})
    await expect(disk.peers()).rejects.toMatchObject({code: 'no_peers'})
    await expect(disk.cancel('job-1')).rejects.toMatchObject({code: 'not_running'})
    await expect(disk.fetch({ids: ['quake']})).rejects.toMatchObject({code: 'no_peers', message: expect.stringContaining('mDNS is off and no --peer')})

    const serve = await serveApi(library)
    try {
      expect(await serve.api.status()).toMatchObject({running: true, peers: [], downloads: []})
      expect(await serve.api.libraryPeers({id: 'quake'})).toMatchObject({games: [{id: 'quake', peers: [], local: {id: 'quake'}}]})
      expect(await serve.api.peers()).toEqual({peers: [], source: 'serve'})
      await expect(serve.api.peers({expect: 1, wait: 0.2})).rejects.toMatchObject({code: 'no_peers', message: expect.stringContaining('expected at least 1')})
      expect(await serve.api.cancel('job-1')).toEqual({job: 'job-1', outcome: 'unknown'})
    } finally {
      await serve.stop()
    }
  })
})
