import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {readFingerprint} from '../../src/library/fingerprint.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('readFingerprint', () => {
  it('stamps only regular archive files: a folder or a symbolic link named like an archive is not one', async () => {
    const root = await makeTempDir()
    await fs.writeFile(path.join(root, 'version.ini'), '1.0\n')
    await fs.writeFile(path.join(root, 'game.eti'), 'archive')
    await fs.mkdir(path.join(root, 'folder.eti'))
    await fs.symlink('game.eti', path.join(root, 'link.eti'))
    await fs.writeFile(path.join(root, 'readme.txt'), 'not an archive')
    const {fingerprint, marks} = readFingerprint(root)
    const stat = await fs.lstat(path.join(root, 'game.eti'))
    expect(fingerprint).toBe(`4@${(await fs.lstat(path.join(root, 'version.ini'))).mtimeMs}/-/game.eti/${stat.size}@${stat.mtimeMs}`)
    expect(marks).toEqual([])
  })

  it('stamps the marks of an interrupted operation, files and folders alike', async () => {
    const root = await makeTempDir()
    await fs.writeFile(path.join(root, '.lanspread.json'), '{}')
    await fs.mkdir(path.join(root, '.local.installing'))
    const {fingerprint, marks} = readFingerprint(root)
    expect(fingerprint).toBe('-/-')
    expect(marks.map((mark) => [mark.name, mark.dir])).toEqual([
      ['.lanspread.json', false],
      ['.local.installing', true],
    ])
  })
})
