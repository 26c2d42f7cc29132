import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {ControlClient} from '../../src/control/client.js'
import {ControlServer} from '../../src/control/server.js'
import {LanspreadError} from '../../src/errors.js'
import {makeTempDir} from '../helpers/temp-library.js'

async function startServer(extra: Partial<Parameters<typeof ControlServer.listen>[0]> = {}) {
  const dir = await makeTempDir()
  const socketPath = path.join(dir, 'control.sock')
  const server = await ControlServer.listen({
    socketPath,
    handle: async (command, args) => {
      if (command === 'library') throw new LanspreadError('not_found', `game ${String(args.id)} is not here`, {hint: 'look elsewhere'})
      if (command === 'scan') throw new Error('boom')
      return {command, args}
    },
    ...extra,
  })
  onTestFinished(() => server.close())
  return {server, socketPath, dir}
}

async function rawExchange(socketPath: string, payload: string): Promise<string> {
  const socket = net.createConnection(socketPath)
  onTestFinished(() => void socket.destroy())
  let received = ''
  socket.on('data', (d) => (received += d.toString()))
  socket.write(payload)
  for (let i = 0; i < 100 && !received.includes('\n'); i++) await new Promise((r) => setTimeout(r, 10))
  return received
}

describe('control socket', () => {
  it('answers requests and carries errors back as LanspreadErrors', async () => {
    const {socketPath} = await startServer()
    const client = (await ControlClient.connect(socketPath))!
    onTestFinished(() => client.close())
    expect(await client.request('peers', {x: 1})).toEqual({command: 'peers', args: {x: 1}})
    const error = await client.request('library', {id: 'doom'}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanspreadError)
    expect(error).toMatchObject({code: 'not_found', message: 'game doom is not here', hint: 'look elsewhere'})
    await expect(client.request('scan')).rejects.toMatchObject({code: 'internal'})
  })

  it('is created with mode 0600 and replaces a socket file left by a dead serve', async () => {
    const dir = await makeTempDir()
    const socketPath = path.join(dir, 'control.sock')
    await fs.writeFile(socketPath, 'left over')
    const server = await ControlServer.listen({socketPath, handle: async () => 'ok'})
    onTestFinished(() => server.close())
    expect((await fs.stat(socketPath)).mode & 0o777).toBe(0o600)
    expect((await fs.lstat(socketPath)).isSocket()).toBe(true)
  })

  it('says nobody listens when there is no socket, or a dead one', async () => {
    const dir = await makeTempDir()
    expect(await ControlClient.connect(path.join(dir, 'control.sock'))).toBeUndefined()
    const stale = net.createServer()
    await new Promise<void>((r) => stale.listen(path.join(dir, 'stale.sock'), r))
    await new Promise<void>((r) => stale.close(() => r()))
    expect(await ControlClient.connect(path.join(dir, 'stale.sock'))).toBeUndefined()
    await fs.writeFile(path.join(dir, 'file.sock'), 'not a socket')
    expect(await ControlClient.connect(path.join(dir, 'file.sock'))).toBeUndefined()
  })

  it('does not follow a symbolic link planted where the socket should be', async () => {
    const {socketPath} = await startServer()
    const link = path.join(await makeTempDir(), 'control.sock')
    await fs.symlink(socketPath, link)
    expect(await ControlClient.connect(link)).toBeUndefined()
    const client = await ControlClient.connect(socketPath)
    expect(client).toBeDefined()
    client?.close()
  })

  it('answers garbage with an error line and keeps serving other clients', async () => {
    const {socketPath} = await startServer()
    expect(JSON.parse(await rawExchange(socketPath, 'not json\n'))).toMatchObject({ok: false, error: {code: 'usage'}})
    expect(JSON.parse(await rawExchange(socketPath, '{"id":4,"command":"rm -rf"}\n'))).toMatchObject({id: 4, ok: false, error: {code: 'usage'}})
    const client = (await ControlClient.connect(socketPath))!
    onTestFinished(() => client.close())
    expect(await client.request('status')).toMatchObject({command: 'status'})
  })

  it('closes a client that sends an endless line, and only that one', async () => {
    const errors: string[] = []
    const {socketPath} = await startServer({maxLineBytes: 1024, onClientError: (m) => errors.push(m)})
    const hostile = net.createConnection(socketPath)
    const closed = new Promise((r) => hostile.on('close', r))
    hostile.on('error', () => {})
    hostile.write('x'.repeat(4096))
    await closed
    expect(errors[0]).toMatch(/longer than allowed/)
    const client = (await ControlClient.connect(socketPath))!
    onTestFinished(() => client.close())
    expect(await client.request('status')).toMatchObject({command: 'status'})
  })

  it('streams events to subscribers, and fails pending requests when serve goes away', async () => {
    const {server, socketPath} = await startServer()
    const client = (await ControlClient.connect(socketPath))!
    onTestFinished(() => client.close())
    const events: unknown[] = []
    await client.subscribe((e) => events.push(e))
    server.broadcast('peer_found', {peer_id: 'p'})
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(events).toEqual([{event: 'peer_found', data: {peer_id: 'p'}}])
    await server.close()
    await expect(client.request('status')).rejects.toMatchObject({code: 'io'})
  })
})
