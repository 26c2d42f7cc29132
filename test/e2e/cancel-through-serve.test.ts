// Ctrl-C on a fetch that serve runs: the command cancels its job in serve (the `cancel` control
// request), says it was cancelled, serve runs no download any more, and a second fetch resumes.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it, onTestFinished} from 'vitest'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const MiB = 1024 * 1024
const DEFAULT_TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}
/** Two fetches and a cancel can outlive the helper's default minute on a loaded machine. */
const SERVE_LIFE_MS = 170_000

interface FetchDocument {
  games: {id: string; bytes: number; reused_bytes: number}[]
}

describe('Ctrl-C on a fetch through serve (real processes on loopback)', () => {
  it('cancels the download in serve, keeps its chunks, and a second fetch resumes', async () => {
    const payload = randomBytes(24 * MiB)
    const a = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    await a.writeGame('quake', {'version.ini': '1.32\n', 'pak0.eti': payload})
    const b = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS, SERVE_LIFE_MS)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`], DEFAULT_TIMINGS, SERVE_LIFE_MS)
    await serveB.waitFor('A library', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)

    // QUIC only: slow enough on loopback to be interrupted halfway.
    const fetch = execa('node', [CLI, 'fetch', 'quake', '--no-bulk', '--games', b.gamesDir, '--json'], {
      cwd: REPO_ROOT,
      env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    })
    onTestFinished(() => void fetch.kill('SIGKILL'))
    const target = path.join(b.gamesDir, 'quake', 'pak0.eti')
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const stat = await fs.stat(target).catch(() => undefined)
      if (stat && stat.blocks * 512 >= 8 * MiB) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    fetch.kill('SIGINT')
    const interrupted = await fetch
    expect(interrupted.exitCode, `${String(interrupted.stdout)} ${String(interrupted.stderr)}`).toBe(130)
    expect(json<{error: {code: string; message: string; hint: string}}>(interrupted).error).toMatchObject({
      code: 'interrupted',
      message: 'interrupted: the fetch of quake was cancelled in serve',
      hint: expect.stringContaining('`lanspread fetch quake` resumes'),
    })

    const status = await runCli(['status', '--games', b.gamesDir, '--json'])
    expect(status.exitCode).toBe(0)
    expect(json(status)).toMatchObject({running: true, peer_id: serveB.peerId, downloads: []})
    await expect(fs.lstat(path.join(b.gamesDir, 'quake', 'version.ini'))).rejects.toMatchObject({code: 'ENOENT'})
    // The partial file stays, its size stops changing: serve writes no more chunks.
    const before = (await fs.stat(target)).blocks
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect((await fs.stat(target)).blocks).toBe(before)

    expect((await fs.lstat(path.join(b.gamesDir, '.lanspread', 'control.sock'))).isSocket()).toBe(true)
    const again = await runCli(['fetch', 'quake', '--games', b.gamesDir, '--json'], {timeout: 120_000})
    expect(
      again.exitCode,
      `${String(again.stdout)} ${String(again.stderr)} ${JSON.stringify(serveB.events.filter((e) => e.event !== 'download_progress'))} ${serveB.stderr()}`,
    ).toBe(0)
    const game = json<FetchDocument>(again).games[0]!
    expect(game.reused_bytes).toBeGreaterThanOrEqual(4 * MiB)
    expect(game.bytes).toBeLessThan(payload.length)
    expect((await fs.readFile(target)).equals(payload)).toBe(true)

    // serve A logged the upload once when it started (not per chunk), with the time in front.
    const started = serveA
      .stderr()
      .split('\n')
      .filter((line) => line.includes(`upload of quake to peer ${serveB.peerId} started`))
    expect(started.length).toBeGreaterThanOrEqual(1)
    // The two fetches took all 6 chunks of 4 MiB from A: a line per chunk would be 6 or more
    // (an upload ends after 5 s without a chunk, so a slow machine may log a few starts).
    expect(started.length).toBeLessThan(6)
    for (const line of started) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z upload of quake/)
    expect(serveA.stderr()).not.toContain('undefined')
  }, 180_000)
})
