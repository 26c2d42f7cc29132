import {randomBytes} from 'node:crypto'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {ControlClient} from '../../src/control/client.js'
import {controlSocketPath} from '../../src/control/attach.js'
import {writeTarArchive} from '../helpers/archives.js'
import {startPeer} from '../helpers/peers.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

describe('peer runtime: the control socket owns operation state', () => {
  it('shows a game busy (never ready) to a scan from another client while an install runs, and refuses a second install', async () => {
    const library = await makeTempLibrary([{id: 'big', name: 'Big'}])
    const root = await library.writeGame('big', {'version.ini': '1\n'})
    await writeTarArchive(path.join(root, 'data.eti'), {'big.bin': randomBytes(32 * 1024 * 1024)})
    const peer = await startPeer({library})
    const installer = (await ControlClient.connect(controlSocketPath(library.paths)))!
    const other = (await ControlClient.connect(controlSocketPath(library.paths)))!
    onTestFinished(() => {
      installer.close()
      other.close()
    })
    const duringInstall = new Promise<[unknown, unknown]>((resolve) =>
      peer.runtime.operations.once('started', () => {
        resolve(Promise.all([other.request('scan'), other.request('install', {id: 'big'}).catch((error: unknown) => error)]))
      }),
    )
    const installed = installer.request('install', {id: 'big'})
    const [scan, secondInstall] = await duringInstall
    expect((scan as {games: {id: string; availability: string}[]}).games).toMatchObject([{id: 'big', availability: 'local_only'}])
    expect(secondInstall).toMatchObject({code: 'busy'})
    expect(await installed).toMatchObject({id: 'big', action: 'installed'})
    expect((await other.request('library')) as object).toMatchObject({games: [{id: 'big', availability: 'ready', installed: true}]})
  })
})
