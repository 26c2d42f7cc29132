import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {gamePaths} from '../../src/library/layout.js'
import {readIntent, sweepIntentTemps, writeIntent} from '../../src/ops/intent-log.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function game() {
  const lib = await makeTempLibrary()
  await lib.writeGame('g', {})
  return gamePaths(lib.gamesDir, 'g')
}

describe('intent log', () => {
  it('reads a missing log as None', async () => {
    expect(await readIntent(await game())).toBe('None')
  })

  it('reads a file holding only the intent, and one with more fields', async () => {
    const g = await game()
    await fs.writeFile(g.intentLog, '{"intent":"Updating"}')
    expect(await readIntent(g)).toBe('Updating')
    await fs.writeFile(g.intentLog, '{"intent":"Uninstalling","by":"another tool","pid":1}')
    expect(await readIntent(g)).toBe('Uninstalling')
  })

  it.each(['', '{', '{"intent":"Exploding"}', '[]', '{"intent":null}'])('reads %j as Unreadable', async (content) => {
    const g = await game()
    await fs.writeFile(g.intentLog, content)
    expect(await readIntent(g)).toBe('Unreadable')
  })

  it('writes atomically and leaves no temp file', async () => {
    const g = await game()
    await writeIntent(g, 'Installing')
    expect(JSON.parse(await fs.readFile(g.intentLog, 'utf8'))).toMatchObject({intent: 'Installing', pid: process.pid})
    await writeIntent(g, 'None')
    expect(JSON.parse(await fs.readFile(g.intentLog, 'utf8'))).toEqual({intent: 'None'})
    expect(await fs.readdir(g.root)).toEqual(['.lanspread.json'])
  })

  it('sweeps temp files a killed write left behind', async () => {
    const g = await game()
    await fs.writeFile(`${g.intentLog}.3456789`, 'half')
    expect(await sweepIntentTemps(g)).toEqual(['.lanspread.json.3456789'])
    expect(await fs.readdir(g.root)).toEqual([])
  })
})
