import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {eventually, gamesOf, startPeer} from '../helpers/peers.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const GAME = {'version.ini': '1.0\n', 'data.eti': 'archive bytes'}

describe('peer runtime: start', () => {
  it('keeps dialling a static peer that is down, and syncs once it comes up', async () => {
    // Learn a free port, then leave it closed while a is started with it as its peer.
    const probe = await startPeer()
    const port = probe.address.port
    await probe.stop()
    const a = await startPeer({games: {alpha: GAME}, peers: [{host: '127.0.0.1', port}]})
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(a.runtime.table.list()).toHaveLength(0)
    const b = await startPeer({games: {beta: GAME}, port})
    await eventually(() => gamesOf(a, b).length === 1 && gamesOf(b, a).length === 1, 'the late peer synced', 10_000)
    // One line per outage, not one per attempt.
    expect(a.logs.filter((line) => line.includes('not reachable')).length).toBeLessThanOrEqual(1)
  })

  it('recovers every game folder before it serves anything', async () => {
    const library = await makeTempLibrary([{id: 'broken', name: 'Broken'}])
    const root = await library.writeGame('broken', GAME)
    await fs.mkdir(path.join(root, '.local.installing'))
    await fs.writeFile(path.join(root, '.local.installing', 'half.bin'), 'half')
    await fs.writeFile(path.join(root, '.lanspread.json'), JSON.stringify({intent: 'Installing'}))
    const peer = await startPeer({library})
    await expect(fs.lstat(path.join(root, '.local.installing'))).rejects.toMatchObject({code: 'ENOENT'})
    expect(JSON.parse(await fs.readFile(path.join(root, '.lanspread.json'), 'utf8'))).toMatchObject({intent: 'None'})
    expect(peer.logs.some((line) => line.includes('recovered broken'))).toBe(true)
    expect(peer.runtime.library.snapshot()).toMatchObject({library_rev: 1, games: [{id: 'broken', availability: 'ready', needs_recovery: false}]})
  })
})
