// SPEC §4.5: serve's bulk TLS port is the QUIC port number over TCP unless --bulk-port sets it,
// and a taken one is a clear `busy` error naming the port and the flag (docs/decisions/0013-bulk-port.md).
import net from 'node:net'
import {describe, expect, it, onTestFinished} from 'vitest'
import {execa} from 'execa'
import {followServe} from '../../scripts/serve-events.js'
import {CLI, REPO_ROOT, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

/** A TCP port held by another program (a listener on 127.0.0.1) until the test ends. */
async function takenPort(): Promise<number> {
  const server = net.createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as net.AddressInfo).port
}

/** A TCP port free right now. */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function serveArgs(gamesDir: string, ...extra: string[]): string[] {
  return ['serve', '--no-mdns', '--games', gamesDir, '--host', '127.0.0.1', ...extra]
}

describe('serve --bulk-port (real processes on loopback)', () => {
  it('listens for bulk TLS on --bulk-port, and by default on the --port number over TCP', async () => {
    const library = await makeTempLibrary()
    const bulkPort = await freePort()
    const chosen = await startServe(library.gamesDir, ['--bulk-port', String(bulkPort)])
    const listening = chosen.events.find((event) => event.event === 'listening')!
    expect(listening.bulk_port).toBe(bulkPort)
    chosen.child.kill('SIGTERM')
    await chosen.child

    const port = await freePort()
    const other = await makeTempLibrary()
    const byDefault = execa('node', [CLI, ...serveArgs(other.gamesDir, '--json', '--port', String(port))], {
      cwd: REPO_ROOT,
      env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      reject: false,
      stdin: 'ignore',
      buffer: false,
      timeout: 30_000,
    })
    onTestFinished(async () => {
      byDefault.kill('SIGKILL')
      await byDefault
    })
    const event = await followServe('with --port', byDefault).waitFor('listening', (e) => e.event === 'listening', 15_000)
    expect([event.port, event.bulk_port]).toEqual([port, port])
  }, 60_000)

  it('fails with exit 13 naming the port and --bulk-port when the bulk port is taken', async () => {
    const library = await makeTempLibrary()
    const port = await takenPort()
    const result = await runCli(serveArgs(library.gamesDir, '--port', '0', '--bulk-port', String(port)))
    expect(result.exitCode).toBe(13)
    expect(String(result.stderr)).toContain(`TCP port ${port} (--bulk-port) is in use`)
    expect(String(result.stderr)).toMatch(/--bulk-port N/)
  }, 30_000)

  it('fails with exit 13 naming --port and --bulk-port when the default bulk port (the QUIC port number) is taken', async () => {
    const library = await makeTempLibrary()
    const port = await takenPort()
    const result = await runCli(serveArgs(library.gamesDir, '--port', String(port)))
    expect(result.exitCode).toBe(13)
    expect(String(result.stderr)).toContain(`TCP port ${port}, the bulk TLS port (by default the QUIC --port number, over TCP), is in use`)
    expect(String(result.stderr)).toMatch(/--bulk-port N/)
  }, 30_000)
})
