import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {startPeer} from '../helpers/peers.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

describe('peer runtime: watcher gate during an operation', () => {
  it('does not watch a game while its install runs (1,000 files written, no rescan, no event), and rescans it once after', async () => {
    const library = await makeTempLibrary([{id: 'big', name: 'Big'}])
    const root = await library.writeGame('big', {'version.ini': '1\n'})
    // Incompressible bytes, so the install runs long enough for the watcher to hear every write.
    await writeTarArchive(path.join(root, 'data.eti'), {'big.bin': randomBytes(96 * 1024 * 1024)})
    const peer = await startPeer({library})
    const refreshes: {only?: readonly string[]; during: boolean}[] = []
    let installing = false
    const refresh = peer.runtime.library.refresh.bind(peer.runtime.library)
    peer.runtime.library.refresh = (options = {}) => {
      refreshes.push({...(options.only ? {only: options.only} : {}), during: installing})
      return refresh(options)
    }
    peer.runtime.operations.once('started', () => {
      installing = true
      for (let i = 0; i < 1000; i++) writeFileSync(path.join(root, `noise-${i}.tmp`), 'x')
    })
    peer.runtime.operations.once('finished', () => (installing = false))
    await peer.runtime.operations.install('big')
    // Late events of the install's last steps have their chance to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500))
    // The folder was not watched: the writes raised no event for the gate to drop.
    expect(peer.runtime.watcherStats()?.dropped ?? 0).toBeLessThan(100)
    expect(refreshes.filter((r) => r.during && r.only?.includes('big'))).toEqual([])
    // The operation's own rescan, after it ended; events of its last steps that reach the watcher
    // after it ended (late on a loaded machine) may add one more, never one per event.
    const after = refreshes.filter((r) => !r.during && r.only?.includes('big')).length
    expect(after).toBeGreaterThanOrEqual(1)
    expect(after - 1).toBe(peer.runtime.watcherStats()?.rescans)
    expect(peer.runtime.watcherStats()?.rescans).toBeLessThanOrEqual(1)
  }, 60_000)
})
