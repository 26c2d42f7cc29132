// serve's control handlers parse every request's args with its schema (control/calls.ts): args
// of the wrong shape get a `usage` error naming the field, and serve keeps answering.
import {describe, expect, it, onTestFinished} from 'vitest'
import {controlSocketPath} from '../../src/control/attach.js'
import {ControlClient} from '../../src/control/client.js'
import {startPeer} from '../helpers/peers.js'

describe("serve's control handlers", () => {
  it('answer malformed args with a usage error, then a good request with its document', async () => {
    const peer = await startPeer({games: {quake: {'version.ini': '1\n', 'pak0.eti': 'x'}}, watch: false})
    const client = (await ControlClient.connect(controlSocketPath(peer.library.paths)))!
    onTestFinished(() => client.close())
    const cases: [Parameters<ControlClient['request']>[0], object, string][] = [
      ['install', {id: 5}, 'invalid arguments for install: id: '],
      ['uninstall', {}, 'invalid arguments for uninstall: id: '],
      ['fetch', {ids: []}, 'invalid arguments for fetch: ids: '],
      ['recover', {ids: 'quake'}, 'invalid arguments for recover: ids: '],
      ['scan', {full: 'yes'}, 'invalid arguments for scan: full: '],
      ['cancel', {job: 'no spaces allowed'}, 'invalid arguments for cancel: job: '],
      ['forget', {peer_id: null}, 'invalid arguments for forget: peer_id: '],
    ]
    for (const [command, args, message] of cases) {
      await expect(client.request(command, args), command).rejects.toMatchObject({code: 'usage', message: expect.stringContaining(message)})
    }
    expect(await client.call('library', {})).toMatchObject({games: [{id: 'quake', availability: 'ready'}]})
    expect(await client.call('recover', {dry_run: true})).toMatchObject({games: [{id: 'quake', action: 'nothing_to_do'}]})
  })
})
