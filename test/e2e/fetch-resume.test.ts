import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

interface FetchDocument {
  games: {id: string; bytes: number; reused_bytes: number; retried_chunks: number; sources: {peer_id: string; bytes: number}[]}[]
}

const MiB = 1024 * 1024
/** The serves keep the default liveness timings, like the one-shot fetches (a 1.5 s stale timeout would drop a downloader between two slow chunks). */
const DEFAULT_TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

async function gameLibrary(files: Record<string, Buffer | string>): Promise<TempLibrary> {
  const library = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
  await library.writeGame('quake', {'version.ini': '1.32\n', ...files})
  return library
}

describe('lanspread fetch: resume and lying sources (real processes on loopback)', () => {
  it('a fetch killed with SIGKILL and started again moves less than the whole game, and leaves no sentinel meanwhile', async () => {
    const payload = randomBytes(24 * MiB)
    const a = await gameLibrary({'pak0.eti': payload})
    const b = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS)
    // QUIC only: slow enough on loopback (a few MB/s) to be killed halfway.
    const first = execa('node', [CLI, 'fetch', 'quake', '--no-bulk', '--peer', `127.0.0.1:${serveA.port}`, '--games', b.gamesDir, '--json'], {
      cwd: REPO_ROOT,
      env: {LANSPREAD_GAMES: ''},
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    })
    const target = path.join(b.gamesDir, 'quake', 'pak0.eti')
    const deadline = Date.now() + 60_000
    // Kill once some chunks are on disk (the file is sized at once, so watch the fetched bytes through its blocks).
    while (Date.now() < deadline) {
      const stat = await fs.stat(target).catch(() => undefined)
      if (stat && stat.blocks * 512 >= 8 * MiB) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    first.kill('SIGKILL')
    await first
    await expect(fs.lstat(path.join(b.gamesDir, 'quake', 'version.ini'))).rejects.toMatchObject({code: 'ENOENT'})
    const again = await runCli(['fetch', 'quake', '--peer', `127.0.0.1:${serveA.port}`, '--games', b.gamesDir, '--json'], {timeout: 120_000})
    expect(again.exitCode).toBe(0)
    const game = json<FetchDocument>(again).games[0]!
    expect(game.reused_bytes).toBeGreaterThanOrEqual(4 * MiB)
    expect(game.bytes).toBeLessThan(payload.length)
    expect((await fs.readFile(target)).equals(payload)).toBe(true)
  }, 180_000)

  it('a source whose file changed behind its index loses its chunks to the honest one; alone it is an integrity failure with no sentinel', async () => {
    const payload = randomBytes(12 * MiB)
    const honest = await gameLibrary({'pak0.eti': payload})
    const liar = await gameLibrary({'pak0.eti': payload})
    const b = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const serveHonest = await startServe(honest.gamesDir, [], DEFAULT_TIMINGS)
    const serveLiar = await startServe(liar.gamesDir, [], DEFAULT_TIMINGS)
    const peers = ['--peer', `127.0.0.1:${serveHonest.port}`, '--peer', `127.0.0.1:${serveLiar.port}`]
    // Both sources hash the game once (their first GetGame), then the liar's file changes
    // behind its index: other bytes, the same size and mtime.
    expect((await runCli(['fetch', 'quake', ...peers, '--games', b.gamesDir, '--json'], {timeout: 60_000})).exitCode).toBe(0)
    const lyingFile = path.join(liar.gamesDir, 'quake', 'pak0.eti')
    const stamp = await fs.stat(lyingFile, {bigint: true})
    // Other bytes with the very same size and mtime (to the nanosecond: fs.utimes would round
    // it), made beside the games folder and renamed into place in one step, so the liar's
    // index never sees the file change.
    const forged = path.join(path.dirname(liar.gamesDir), `${path.basename(liar.gamesDir)}-forged.eti`)
    await fs.writeFile(forged, randomBytes(payload.length))
    const nanos = String(stamp.mtimeNs % 1_000_000_000n).padStart(9, '0')
    await execa('touch', ['-m', '-d', `@${stamp.mtimeNs / 1_000_000_000n}.${nanos}`, forged])
    await fs.rename(forged, lyingFile)
    expect((await fs.stat(lyingFile, {bigint: true})).mtimeNs).toBe(stamp.mtimeNs)
    await fs.rm(path.join(b.gamesDir, 'quake'), {recursive: true})

    const mixed = await runCli(['fetch', 'quake', ...peers, '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(mixed.exitCode, `${String(mixed.stdout)} ${String(mixed.stderr)}`).toBe(0)
    const game = json<FetchDocument>(mixed).games[0]!
    expect((await fs.readFile(path.join(b.gamesDir, 'quake', 'pak0.eti'))).equals(payload)).toBe(true)
    const liarBytes = game.sources.find((source) => source.peer_id === serveLiar.peerId)?.bytes ?? 0
    // Every chunk of the liar's pak0.eti is other bytes: none is taken from it. Only version.ini,
    // the same on both, may come from the liar (chunks come in random order, record 0032).
    expect(liarBytes).toBeLessThan(MiB)

    await fs.rm(path.join(b.gamesDir, 'quake'), {recursive: true})
    const alone = await runCli(['fetch', 'quake', '--from', serveLiar.peerId, ...peers, '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(json(alone), `${String(alone.stdout)} ${String(alone.stderr)}`).toMatchObject({error: {code: 'integrity'}})
    expect(alone.exitCode).toBe(10)
    await expect(fs.lstat(path.join(b.gamesDir, 'quake', 'version.ini'))).rejects.toMatchObject({code: 'ENOENT'})
    await expect(fs.lstat(path.join(b.gamesDir, 'quake', '.version.ini.tmp'))).rejects.toMatchObject({code: 'ENOENT'})
  }, 180_000)
})
