import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it, onTestFinished} from 'vitest'
import {watchGames} from '../../src/peer/watcher.js'
import {makeTempDir} from '../helpers/temp-library.js'

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('watchGames', () => {
  it('maps root-level events to game IDs and ignores local/ contents and the state folder', async () => {
    const gamesDir = await makeTempDir()
    await fs.mkdir(path.join(gamesDir, 'doom', 'local'), {recursive: true})
    await fs.mkdir(path.join(gamesDir, '.lanspread'))
    const events: string[] = []
    let catalogEvents = 0
    const watcher = await watchGames({
      gamesDir,
      ownNames: new Set(['.lanspread', 'catalog.json']),
      catalogPath: path.join(gamesDir, 'catalog.json'),
      onGameEvent: (id) => events.push(id),
      onCatalogEvent: () => catalogEvents++,
      onError: (error) => {
        throw error
      },
    })
    onTestFinished(() => watcher.close())
    await fs.writeFile(path.join(gamesDir, 'doom', 'local', 'save.dat'), 'x')
    await fs.writeFile(path.join(gamesDir, '.lanspread', 'index.json'), '{}')
    await fs.writeFile(path.join(gamesDir, 'not a game!'), 'x')
    await fs.writeFile(path.join(gamesDir, 'doom', 'version.ini'), '1')
    await until(() => events.includes('doom'), 'the version.ini event')
    await fs.writeFile(path.join(gamesDir, 'catalog.json'), '[]')
    await until(() => catalogEvents > 0, 'the catalog event')
    await fs.mkdir(path.join(gamesDir, 'quake'))
    await until(() => events.includes('quake'), 'the new game folder')
    expect(new Set(events)).toEqual(new Set(['doom', 'quake']))
    const before = events.length
    await fs.rm(path.join(gamesDir, 'doom', 'local'), {recursive: true})
    await until(() => events.length > before, 'local/ removed')
  })

  it('hears nothing of a paused game, new files or changed ones, and hears it again once resumed', async () => {
    const gamesDir = await makeTempDir()
    for (const id of ['doom', 'quake']) {
      await fs.mkdir(path.join(gamesDir, id))
      await fs.writeFile(path.join(gamesDir, id, 'data.bin'), 'x')
    }
    const events: string[] = []
    const watcher = await watchGames({
      gamesDir,
      ownNames: new Set(),
      catalogPath: path.join(gamesDir, 'catalog.json'),
      onGameEvent: (id) => events.push(id),
      onCatalogEvent: () => {},
      onError: (error) => {
        throw error
      },
    })
    onTestFinished(() => watcher.close())
    watcher.pause('doom')
    await fs.writeFile(path.join(gamesDir, 'doom', 'chunk.bin'), 'new')
    await fs.appendFile(path.join(gamesDir, 'doom', 'data.bin'), 'changed')
    // quake's event comes after doom's would have: by then doom has had its chance.
    await new Promise((r) => setTimeout(r, 200))
    await fs.writeFile(path.join(gamesDir, 'quake', 'version.ini'), '1')
    await until(() => events.includes('quake'), "quake's event")
    await new Promise((r) => setTimeout(r, 200))
    expect(events).not.toContain('doom')
    watcher.resume('doom')
    // chokidar re-watches the folder in the background: write until it hears.
    for (let i = 0; i < 50 && !events.includes('doom'); i++) {
      await fs.writeFile(path.join(gamesDir, 'doom', 'version.ini'), String(i))
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(events).toContain('doom')
  })
})
