// `fetch --install` of a game already installed: a newer version fetched updates local/
// (keeping what the user made there, as `install --update` does), the same version leaves
// it alone, and the JSON says which — without serve (one-shot) and through serve.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

interface FetchDocument {
  games: {id: string; eti_version: string; installed: boolean; install?: string; kept?: string[]}[]
}

const TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

/** The source's game at a version: version.ini and one archive whose files say the version. */
async function publish(root: string, version: string): Promise<void> {
  await writeTarArchive(path.join(root, 'game.eti'), {'bin/version.txt': version, [`data/${version}.pak`]: `pak ${version}`.repeat(1000)})
  await fs.writeFile(path.join(root, 'version.ini'), `${version}\n`)
}

describe('fetch --install of a newer version (real processes on loopback)', () => {
  it('updates the install, keeps the user files and says what it did, one-shot and through serve', async () => {
    const a = await makeTempLibrary([{id: 'g', name: 'G'}])
    const b = await makeTempLibrary([{id: 'g', name: 'G'}])
    const sourceRoot = await a.writeGame('g', {})
    const local = path.join(b.gamesDir, 'g', 'local')
    const oneShot = async (port: number) => {
      const run = await runCli(['fetch', 'g', '--install', '--no-mdns', '--peer', `127.0.0.1:${port}`, '--games', b.gamesDir, '--json'], {timeout: 60_000})
      expect(run.exitCode, String(run.stderr)).toBe(0)
      return json<FetchDocument>(run).games[0]!
    }

    await publish(sourceRoot, '1.0')
    let serveA = await startServe(a.gamesDir, [], TIMINGS)
    expect(await oneShot(serveA.port)).toMatchObject({eti_version: '1.0', installed: true, install: 'installed'})
    await fs.writeFile(path.join(local, 'save.dat'), 'precious')

    // A newer version, fetched without serve: local/ is the new one, the save is still there.
    serveA.child.kill('SIGKILL')
    await serveA.child
    await publish(sourceRoot, '2.0')
    serveA = await startServe(a.gamesDir, [], TIMINGS)
    expect(await oneShot(serveA.port)).toMatchObject({eti_version: '2.0', installed: true, install: 'updated', kept: ['save.dat']})
    expect(await fs.readFile(path.join(local, 'bin', 'version.txt'), 'utf8')).toBe('2.0')
    await expect(fs.stat(path.join(local, 'data', '1.0.pak'))).rejects.toMatchObject({code: 'ENOENT'})
    expect(await fs.readFile(path.join(local, 'save.dat'), 'utf8')).toBe('precious')

    // The same version again: nothing to update.
    expect(await oneShot(serveA.port)).toMatchObject({eti_version: '2.0', installed: true, install: 'unchanged'})

    // A newer version, fetched through serve.
    serveA.child.kill('SIGKILL')
    await serveA.child
    await publish(sourceRoot, '3.0')
    serveA = await startServe(a.gamesDir, [], TIMINGS)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`], TIMINGS)
    await serveB.waitFor('a library', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)
    const viaServe = await runCli(['fetch', 'g', '--install', '--no-mdns', '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(viaServe.exitCode, String(viaServe.stderr)).toBe(0)
    expect(json<FetchDocument>(viaServe).games[0]).toMatchObject({eti_version: '3.0', installed: true, install: 'updated', kept: ['save.dat']})
    expect(await fs.readFile(path.join(local, 'bin', 'version.txt'), 'utf8')).toBe('3.0')
    expect(await fs.readFile(path.join(local, 'save.dat'), 'utf8')).toBe('precious')
  }, 150_000)
})
