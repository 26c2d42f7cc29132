// Both ends of a typed control call over a real socket: serve's side parses each request's args
// (a `usage` error when they do not fit), the client parses each result and event with its
// schema, and a document of another shape is a clear `protocol` error, never a crash.
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {type CallHandlers, type ControlCall, handleCall} from '../../src/control/calls.js'
import {ControlClient} from '../../src/control/client.js'
import type {ControlEventLine} from '../../src/control/events.js'
import {ControlServer} from '../../src/control/server.js'
import {LanspreadError} from '../../src/errors.js'
import {makeTempDir} from '../helpers/temp-library.js'

async function connect(handle: (command: ControlCall, args: unknown) => Promise<unknown>) {
  const socketPath = path.join(await makeTempDir(), 'control.sock')
  const server = await ControlServer.listen({socketPath, handle})
  const client = (await ControlClient.connect(socketPath))!
  onTestFinished(async () => {
    client.close()
    await server.close()
  })
  return {server, client}
}

const unused = async (): Promise<never> => {
  throw new LanspreadError('internal', 'not called in this test')
}

/** serve's handlers, as far as these tests call them. */
const handlers: CallHandlers = {
  status: unused,
  peers: async () => ({peers: []}),
  forget: async ({peer_id}) => ({peer_id, forgotten: false}),
  library: unused,
  library_peers: unused,
  scan: unused,
  install: async ({id}) => ({id, action: 'already_installed', archives: []}),
  uninstall: unused,
  recover: async ({ids}) => ({games: ids.map((id) => ({id, action: 'busy' as const, code: 'busy' as const, description: `${id} is busy`}))}),
  fetch: unused,
  cancel: async ({job}) => ({job, outcome: 'unknown'}),
}

const progress = {id: 'quake', total_bytes: 10, done_bytes: 5, reused_bytes: 0, fetched_bytes: 5, buffered_bytes: 0, sources: [], rate: 1, eta_ms: null}

describe('typed control calls', () => {
  it('gives the client the result document of each request', async () => {
    const {client} = await connect((command, args) => handleCall(handlers, command, args))
    expect(await client.call('install', {id: 'quake'})).toEqual({id: 'quake', action: 'already_installed', archives: []})
    expect(await client.call('recover', {})).toEqual({games: []})
    expect(await client.call('recover', {ids: ['doom']})).toEqual({games: [{id: 'doom', action: 'busy', code: 'busy', description: 'doom is busy'}]})
    expect(await client.call('cancel', {job: 'job-1'})).toEqual({job: 'job-1', outcome: 'unknown'})
  })

  it('answers args that do not fit the request with a usage error, and keeps serving', async () => {
    const {client} = await connect((command, args) => handleCall(handlers, command, args))
    await expect(client.request('install', {id: 5})).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/^invalid arguments for install: id: /),
    })
    await expect(client.request('forget', {})).rejects.toMatchObject({code: 'usage', message: expect.stringContaining('peer_id')})
    await expect(client.request('recover', {ids: 'doom'})).rejects.toMatchObject({code: 'usage'})
    await expect(client.request('cancel', {job: '../etc'})).rejects.toMatchObject({code: 'usage'})
    expect(await client.call('forget', {peer_id: 'p'})).toEqual({peer_id: 'p', forgotten: false})
  })

  it('fails a call whose result is not its document with a protocol error naming the request and the field', async () => {
    const {client} = await connect(async (command) => (command === 'status' ? {running: true, peer_id: 7} : {peers: [{peer_id: 'p'}]}))
    const error = await client.call('status', {}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LanspreadError)
    expect(error).toMatchObject({
      code: 'protocol',
      message: expect.stringMatching(/^serve answered status with a document this lanspread does not understand: peer_id: /),
      hint: 'run the same lanspread version for serve and the commands',
    })
    await expect(client.call('peers', {})).rejects.toMatchObject({code: 'protocol', message: expect.stringContaining('peers[0].hostname')})
  })

  it('parses each event with its schema: a malformed one is reported, an unknown name skipped', async () => {
    const {server, client} = await connect((command, args) => handleCall(handlers, command, args))
    const events: ControlEventLine[] = []
    const invalid: LanspreadError[] = []
    await client.events(
      (event) => events.push(event),
      (error) => invalid.push(error),
    )
    server.broadcast('download_progress', {...progress, done_bytes: 'half'})
    server.broadcast('from_a_newer_serve', {anything: true})
    server.broadcast('download_progress', progress)
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(events).toEqual([{event: 'download_progress', data: progress}])
    expect(invalid).toHaveLength(1)
    expect(invalid[0]).toMatchObject({code: 'protocol', message: expect.stringContaining('download_progress event')})
  })
})
