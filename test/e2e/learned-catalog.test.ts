import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

interface LibraryDocument {
  games: {id: string; name: string; availability: string}[]
}

/** Default liveness timings: a short stale timeout would drop a downloader between two slow chunks. */
const TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

describe('a fetched game is offered on though the catalog does not list it (SPEC §2.3)', () => {
  it('A lists X, B (no catalog) fetches it from A, C fetches it from B with A gone', async () => {
    const a = await makeTempLibrary([{id: 'xonotic', name: 'Xonotic'}])
    const payload = randomBytes(256 * 1024 + 7)
    await a.writeGame('xonotic', {'version.ini': '0.8.6\n', 'data.eti': payload})
    const b = await makeTempLibrary()
    await fs.rm(b.paths.catalogPath)
    const c = await makeTempLibrary()

    const serveA = await startServe(a.gamesDir, [], TIMINGS)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`], TIMINGS)
    await serveB.waitFor('A library', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)
    const fetchedByB = await runCli(['fetch', 'xonotic', '--no-mdns', '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(fetchedByB.exitCode, String(fetchedByB.stderr)).toBe(0)

    // B offers it on, under A's name, from its state folder; its own catalog is never written.
    const atB = json<LibraryDocument>(await runCli(['library', '--games', b.gamesDir, '--json']))
    expect(atB.games).toEqual([expect.objectContaining({id: 'xonotic', name: 'Xonotic', availability: 'ready'})])
    await expect(fs.access(b.paths.catalogPath)).rejects.toMatchObject({code: 'ENOENT'})
    expect(JSON.parse(await fs.readFile(path.join(b.paths.stateDir, 'learned-catalog.json'), 'utf8'))).toEqual([{id: 'xonotic', name: 'Xonotic'}])

    serveA.child.kill('SIGTERM')
    await serveA.child
    const fetchedByC = await runCli(['fetch', 'xonotic', '--no-mdns', '--peer', `127.0.0.1:${serveB.port}`, '--games', c.gamesDir, '--json'], {timeout: 60_000})
    expect(fetchedByC.exitCode, String(fetchedByC.stderr)).toBe(0)
    expect(json<{games: {sources: {peer_id: string}[]}[]}>(fetchedByC).games[0]!.sources).toEqual([expect.objectContaining({peer_id: serveB.peerId})])
    expect((await fs.readFile(path.join(c.gamesDir, 'xonotic', 'data.eti'))).equals(payload)).toBe(true)
    const atC = json<LibraryDocument>(await runCli(['library', '--games', c.gamesDir, '--json']))
    expect(atC.games).toEqual([expect.objectContaining({id: 'xonotic', name: 'Xonotic', availability: 'ready'})])
  }, 150_000)
})
