// serve as a service, through real processes on loopback: `peers --wait` counts seconds through
// serve too, and serve's failures under --json are one JSON document on stdout.
import dgram from 'node:dgram'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {type TempLibrary, makeTempLibrary} from '../helpers/temp-library.js'

async function libraryWith(ids: string[]): Promise<TempLibrary> {
  const library = await makeTempLibrary(ids.map((id) => ({id, name: id})))
  for (const id of ids) await library.writeGame(id, {'version.ini': '1.0\n', 'data.eti': 'bytes'})
  return library
}

type ErrorDoc = {error: {code: string; message: string; hint?: string}}

describe('serve as a service', () => {
  it('peers --wait S --expect N through serve waits S seconds, not S milliseconds', async () => {
    const a = await libraryWith(['alpha'])
    const b = await libraryWith(['beta'])
    const serveA = await startServe(a.gamesDir)
    // The peer B comes only after the wait began: the wait must still be running then.
    const waiting = runCli(['peers', '--games', a.gamesDir, '--wait', '20', '--expect', '1', '--json'], {timeout: 30_000})
    await new Promise((resolve) => setTimeout(resolve, 500))
    const serveB = await startServe(b.gamesDir, ['--peer', `127.0.0.1:${serveA.port}`])
    const result = await waiting
    expect(result.exitCode, String(result.stderr)).toBe(0)
    expect(json<{peers: {peer_id: string}[]; source: string}>(result)).toMatchObject({source: 'serve', peers: [{peer_id: serveB.peerId}]})
  })

  it('serve --json on a port in use prints one JSON error on stdout, exit 13 (not a filesystem error)', async () => {
    const a = await libraryWith(['alpha'])
    const taken = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()))
    try {
      const result = await runCli(['serve', '--json', '--no-mdns', '--games', a.gamesDir, '--host', '127.0.0.1', '--port', String(taken.address().port)])
      expect(result.exitCode).toBe(13)
      expect(json<ErrorDoc>(result).error).toMatchObject({code: 'address_unavailable', message: expect.stringContaining(`127.0.0.1:${taken.address().port}`)})
    } finally {
      taken.close()
    }
  })

  it('serve --json on a games folder that is not there prints one JSON error on stdout', async () => {
    const a = await libraryWith(['alpha'])
    const result = await runCli(['serve', '--json', '--no-mdns', '--games', path.join(a.gamesDir, 'nowhere'), '--host', '127.0.0.1', '--port', '0'])
    expect(result.exitCode).not.toBe(0)
    const {error} = json<ErrorDoc>(result)
    expect(error.message).toContain(path.join(a.gamesDir, 'nowhere'))
    expect(String(result.stdout).trim().split('\n')).toHaveLength(1)
  })

  it('status without serve says so and exits 14; with serve it reports uptime, peers, downloads and uploads', async () => {
    const a = await libraryWith(['alpha'])
    const down = await runCli(['status', '--games', a.gamesDir, '--json'])
    expect(down.exitCode).toBe(14)
    expect(json<ErrorDoc>(down).error).toMatchObject({
      code: 'not_running',
      message: `lanspread serve is not running for ${path.join(a.gamesDir, '.lanspread')}`,
    })

    const serve = await startServe(a.gamesDir)
    const up = await runCli(['status', '--games', a.gamesDir, '--json'])
    expect(up.exitCode).toBe(0)
    expect(json(up)).toMatchObject({
      running: true,
      peer_id: serve.peerId,
      port: serve.port,
      peers: [],
      downloads: [],
      uploads: [],
      uptime_ms: expect.any(Number),
      started_at: expect.any(String),
    })
    const human = await runCli(['status', '--games', a.gamesDir])
    expect(String(human.stdout)).toContain(`serve is running: peer ${serve.peerId} on 127.0.0.1:${serve.port}, up `)
    expect(String(human.stdout)).toContain('No downloads in progress.')
  })

  it('peers without serve says on stderr that it browses mDNS instead, and fails (exit 9) when nobody answered', async () => {
    const a = await libraryWith(['alpha'])
    // mDNS on the loopback interface only: nothing leaves this machine.
    const result = await runCli(['peers', '--games', a.gamesDir, '--interface', '127.0.0.1', '--wait', '1', '--json'], {env: {LANSPREAD_MDNS: '1'}})
    expect(String(result.stderr)).toContain(`lanspread serve is not running for ${path.join(a.gamesDir, '.lanspread')}: listening to mDNS for 1 s instead`)
    expect(result.exitCode).toBe(9)
    expect(json<ErrorDoc>(result).error).toMatchObject({code: 'no_peers', message: expect.stringContaining('lanspread serve is not running')})
  })
})
