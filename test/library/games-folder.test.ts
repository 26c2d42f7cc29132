import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {assertGamesDir, listGameFolders} from '../../src/library/games-folder.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('assertGamesDir', () => {
  it('accepts a symbolic link to a folder (games kept on another disk), and lists through it', async () => {
    const dir = await makeTempDir()
    await fs.mkdir(path.join(dir, 'real', 'quake3'), {recursive: true})
    await fs.symlink(path.join(dir, 'real'), path.join(dir, 'games'))
    await expect(assertGamesDir(path.join(dir, 'games'))).resolves.toBeUndefined()
    expect((await listGameFolders(path.join(dir, 'games'))).ids).toEqual(['quake3'])
  })

  it('says a file is a file, not a folder', async () => {
    const dir = await makeTempDir()
    await fs.writeFile(path.join(dir, 'games'), 'oops')
    await expect(assertGamesDir(path.join(dir, 'games'))).rejects.toMatchObject({
      code: 'not_found',
      message: `games folder ${path.join(dir, 'games')} is a file, not a folder`,
      hint: expect.stringContaining('--games'),
    })
  })

  it('says a missing folder, or a link to one, is not found', async () => {
    const dir = await makeTempDir()
    await fs.symlink(path.join(dir, 'gone'), path.join(dir, 'games'))
    await expect(assertGamesDir(path.join(dir, 'games'))).rejects.toMatchObject({code: 'not_found', message: expect.stringContaining('games folder not found')})
    await expect(assertGamesDir(path.join(dir, 'nothing'))).rejects.toMatchObject({code: 'not_found'})
  })
})
