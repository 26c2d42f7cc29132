import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {startServe, startServe as startServeProcess} from '../helpers/serve-process.js'
import {PEER_TRANSPORTS, transportEnv} from '../helpers/transports.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

async function libraryWith(ids: string[]): Promise<TempLibrary> {
  const library = await makeTempLibrary(ids.map((id) => ({id, name: id})))
  for (const id of ids) await library.writeGame(id, {'version.ini': '1.0\n', 'data.eti': 'bytes'})
  return library
}

interface PeersDocument {
  peers: {peer_id: string; hostname: string; addresses: string[]; proto_ver: number; library_rev: number; game_count: number; last_seen: string}[]
}

// The tests where peers talk run over each transport (record 0033); the others have no peer.
describe.each(PEER_TRANSPORTS)('lanspread serve with peers over %s (real processes on loopback)', (kind) => {
  const startServe = (gamesDir: string, args: string[] = [], env: Record<string, string> = {}) =>
    startServeProcess(gamesDir, args, {...env, ...transportEnv(kind)})

  it('answers peers, library --peers and scan through its control socket; refuses a second serve', async () => {
    const a = await libraryWith(['alpha', 'beta'])
    const b = await libraryWith(['gamma'])
    const serveA = await startServe(a.gamesDir)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    await serveA.waitFor('b found', (e) => e.event === 'peer_library_changed' && e.peer_id === serveB.peerId)
    await serveB.waitFor('a found', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)

    const peers = await runCli(['peers', '--games', a.gamesDir, '--json'])
    expect(peers.exitCode).toBe(0)
    const listed = json<PeersDocument>(peers).peers
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({peer_id: serveB.peerId, game_count: 1, proto_ver: 1, addresses: [`127.0.0.1:${serveB.port}`]})

    const network = json<{games: {id: string; peers: string[]; versions: Record<string, string[]>; local: unknown}[]}>(
      await runCli(['library', '--peers', '--games', b.gamesDir, '--json']),
    )
    expect(network.games.map((g) => g.id)).toEqual(['alpha', 'beta', 'gamma'])
    expect(network.games[0]).toMatchObject({peers: [serveA.peerId], versions: {'1.0': [serveA.peerId]}, local: null})
    expect(network.games[2]!.local).toMatchObject({id: 'gamma', availability: 'ready'})

    const scan = await runCli(['scan', '--games', a.gamesDir, '--json'])
    expect(json(scan)).toMatchObject({library_rev: 1, games: [{id: 'alpha'}, {id: 'beta'}]})

    const second = await runCli(['serve', '--games', a.gamesDir, '--port', '0', '--host', '127.0.0.1', '--no-mdns'])
    expect(second.exitCode).toBe(5)
    expect(second.stderr).toMatch(/another lanspread serve already runs/)
  })

  it('says there are no peers when serve is not running, and forgets a pin on disk', async () => {
    const a = await libraryWith(['alpha'])
    const peers = await runCli(['peers', '--games', a.gamesDir, '--json'])
    expect(peers.exitCode).toBe(9)
    expect(json(peers)).toMatchObject({error: {code: 'no_peers', hint: expect.stringContaining('lanspread serve')}})
    const network = await runCli(['library', '--peers', '--games', a.gamesDir])
    expect(network.exitCode).toBe(9)
    const forget = await runCli(['peers', '--forget', '3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b', '--games', a.gamesDir, '--json'])
    expect(json(forget)).toEqual({peer_id: '3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b', forgotten: false})
  })

  it('drops a peer stopped with SIGTERM at once (goodbye) and one killed after the stale timeout', async () => {
    const a = await libraryWith(['alpha'])
    const serveA = await startServe(a.gamesDir)
    const serveB = await startServe((await libraryWith([])).gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    const serveC = await startServe((await libraryWith([])).gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    for (const other of [serveB, serveC]) await serveA.waitFor('peer found', (e) => e.event === 'peer_found' && e.peer_id === other.peerId)
    serveB.child.kill('SIGTERM')
    const goodbye = await serveA.waitFor('b lost', (e) => e.event === 'peer_lost' && e.peer_id === serveB.peerId, 3000)
    expect(goodbye.reason).toBe('goodbye')
    expect((await serveB.child).exitCode).toBe(0)
    serveC.child.kill('SIGKILL')
    const stale = await serveA.waitFor('c lost', (e) => e.event === 'peer_lost' && e.peer_id === serveC.peerId, 8000)
    expect(stale.reason).toBe('stale')
  })

  it('takes back a peer that was killed and restarted at once, without waiting for its dead connection to idle out', async () => {
    const a = await libraryWith(['alpha'])
    const b = await libraryWith(['beta'])
    const serveA = await startServe(a.gamesDir, [], {LANSPREAD_STALE_AFTER_MS: '60000', LANSPREAD_PING_AFTER_MS: '30000'})
    const first = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    await first.waitFor('a synced', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)
    first.child.kill('SIGKILL')
    await first.child
    const restartedAt = Date.now()
    const second = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    await second.waitFor('a synced again', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId, 10_000)
    expect(Date.now() - restartedAt).toBeLessThan(10_000)
    expect(json<PeersDocument>(await runCli(['peers', '--games', a.gamesDir, '--json'])).peers).toHaveLength(1)
  })
})

describe('lanspread serve (real processes on loopback)', () => {
  it('replaces the control socket of a serve that was killed', async () => {
    const a = await libraryWith(['alpha'])
    const first = await startServe(a.gamesDir)
    first.child.kill('SIGKILL')
    await first.child
    expect((await fs.lstat(path.join(a.paths.stateDir, 'control.sock'))).isSocket()).toBe(true)
    const second = await startServe(a.gamesDir)
    expect(second.peerId).toBe(first.peerId)
    expect((await runCli(['peers', '--games', a.gamesDir, '--json'])).exitCode).toBe(0)
  })

  it('installs and uninstalls through serve, which rescans the game and tells its peers', async () => {
    const a = await makeTempLibrary([{id: 'small', name: 'Small'}])
    const root = await a.writeGame('small', {'version.ini': '1.0\n'})
    await writeTarArchive(path.join(root, 'data.eti'), {'readme.txt': 'hello'})
    const serveA = await startServe(a.gamesDir)
    const install = await runCli(['install', 'small', '--games', a.gamesDir, '--json'])
    expect(install.exitCode).toBe(0)
    expect(json(install)).toMatchObject({id: 'small', action: 'installed'})
    await serveA.waitFor('the library change', (e) => e.event === 'library_changed' && (e.updated as string[]).includes('small'))
    expect(json<{games: {availability: string; installed: boolean}[]}>(await runCli(['library', '--games', a.gamesDir, '--json'])).games[0]).toMatchObject({
      availability: 'ready',
      installed: true,
    })
    expect(json(await runCli(['uninstall', 'small', '--games', a.gamesDir, '--json']))).toMatchObject({action: 'uninstalled'})
    const dryRun = await runCli(['recover', '--dry-run', '--games', a.gamesDir, '--json'])
    expect(json(dryRun)).toMatchObject({games: [{id: 'small', action: 'nothing_to_do'}]})
  })
})
