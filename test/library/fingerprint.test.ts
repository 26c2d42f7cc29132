import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {readFingerprint} from '../../src/library/fingerprint.js'
import {BACKUP_DIR, INSTALLING_DIR, INTENT_LOG, SENTINEL_DISCARDED, SENTINEL_TMP, isArchiveName} from '../../src/library/layout.js'
import {isMarkName} from '../../src/library/recovery-marks.js'
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

  it.each([3, 40])('lists %i archives by name in code-unit order, whatever order the folder lists them in', async (count) => {
    const root = await makeTempDir()
    const names = Array.from({length: count}, (_, i) => `${i % 2 ? 'b' : 'B'}${String(count - i).padStart(2, '0')}.eti`)
    for (const name of names) await fs.writeFile(path.join(root, name), name)
    const listed = readFingerprint(root)
      .fingerprint.split('/')
      .filter((part) => part.endsWith('.eti'))
    expect(listed).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    expect(listed[0]!.startsWith('B')).toBe(true)
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

describe('isArchiveName', () => {
  it('takes <name>.eti with the letters in any case, and nothing that only looks close', () => {
    for (const name of ['game.eti', 'GAME.ETI', 'x.eTi', 'a b.Eti', '.x.eti', 'é.ETI']) expect(isArchiveName(name), name).toBe(true)
    // '\u000e' | 0x20 is '.': the dot is compared as it is; a bare '.eti' names nothing.
    for (const name of ['.eti', 'eti', 'a.et', 'a.etix', 'a.eti ', 'a\u000eeti', 'a\u000eETI', 'a.e\u0130i', 'a,eti', 'a.ẹti'])
      expect(isArchiveName(name), JSON.stringify(name)).toBe(false)
  })
})

describe('isMarkName', () => {
  it('knows every reserved name that marks an interrupted operation (they all start with a dot), and no other', () => {
    for (const name of [INTENT_LOG, INSTALLING_DIR, BACKUP_DIR, SENTINEL_TMP, SENTINEL_DISCARDED]) {
      expect(name.startsWith('.'), name).toBe(true)
      expect(isMarkName(name), name).toBe(true)
    }
    for (const name of ['local', 'version.ini', '.hidden', 'lanspread.json', `${INTENT_LOG}.tmp`]) expect(isMarkName(name), name).toBe(false)
  })
})
