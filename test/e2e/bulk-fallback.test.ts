// SPEC §4.5 with real processes on loopback: when a source's bulk TLS port takes no connection from
// the downloader (here: its address's share is held by idle sockets), `fetch` through serve still
// completes, over QUIC, and says so on stderr and in --json.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {DEFAULT_BULK_TLS_SETTINGS} from '../../src/transport/bulk-tls.js'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

/** Default liveness timings: a 1.5 s stale timeout would drop a downloader between two slow chunks. */
const DEFAULT_TIMINGS = {LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}
/** The server's share per address: held by idle sockets, it leaves none for the downloader. */
const PER_ADDRESS = DEFAULT_BULK_TLS_SETTINGS.maxConnectionsPerAddress

interface FetchDocument {
  games: {id: string; sources: {peer_id: string; bytes: number; transport: string; fallback_reason?: string}[]}[]
}

/** Holds `count` idle TCP connections from 127.0.0.1 to `port`, opening a new one whenever one is closed, until the test ends. */
function holdIdle(port: number, count: number): void {
  let ended = false
  const sockets = new Set<net.Socket>()
  const open = (): void => {
    if (ended) return
    const socket = net.connect({port, host: '127.0.0.1'})
    socket.on('error', () => undefined)
    socket.resume()
    sockets.add(socket)
    socket.once('close', () => {
      sockets.delete(socket)
      setTimeout(open, 50)
    })
  }
  for (let i = 0; i < count; i++) open()
  onTestFinished(() => {
    ended = true
    for (const socket of sockets) socket.destroy()
  })
}

describe('fetch falls back to QUIC per source (real processes on loopback)', () => {
  it('completes over QUIC when the source bulk port takes no connection from us, and says so', async () => {
    const a = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const payload = randomBytes(1024 * 1024 + 5)
    await a.writeGame('quake', {'version.ini': '1.32\n', 'pak0.eti': payload})
    const b = await makeTempLibrary([{id: 'quake', name: 'Quake'}])
    const serveA = await startServe(a.gamesDir, [], DEFAULT_TIMINGS)
    const bulkPort = Number(serveA.events.find((event) => event.event === 'listening')!.bulk_port)
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`], DEFAULT_TIMINGS)
    await serveB.waitFor('a library', (e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId)

    holdIdle(bulkPort, PER_ADDRESS)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const fetched = await runCli(['fetch', 'quake', '--no-mdns', '--games', b.gamesDir, '--json'], {timeout: 60_000})
    expect(fetched.exitCode).toBe(0)
    const [game] = json<FetchDocument>(fetched).games
    expect(game!.sources).toEqual([
      {peer_id: serveA.peerId, bytes: payload.length + '1.32\n'.length, transport: 'quic', fallback_reason: expect.any(String), kind: 'seed'},
    ])
    expect(String(fetched.stderr)).toContain(`warning: quake: peer ${serveA.peerId}'s bulk TLS port is unusable (`)
    expect((await fs.readFile(path.join(b.gamesDir, 'quake', 'pak0.eti'))).equals(payload)).toBe(true)
  }, 90_000)
})
