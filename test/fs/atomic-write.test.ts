// The one atomic-write helper: never writes through a symbolic link, leaves no temp file
// behind on any failure, and leaves the old content in place when the write fails.
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeFileDurably, writeJsonDurably} from '../../src/fs/atomic-write.js'
import type {FileWriter} from '../../src/fs/new-file.js'
import {makeTempDir} from '../helpers/temp-library.js'
import {mountTinyDisk, tinyDiskUnavailable, type TinyDisk} from '../helpers/tiny-disk.js'
import {missingOutsideCi} from '../helpers/requirements.js'

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC', syscall: 'write'})
}

/** Writes half the data, then fails like a full disk. */
const halfThenFull: FileWriter = async (handle, data) => {
  const bytes = Buffer.from(data)
  await handle.write(bytes, 0, Math.floor(bytes.length / 2))
  throw enospc()
}

describe('writeFileDurably', () => {
  it('replaces a file and leaves nothing beside it', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'state.json')
    await fs.writeFile(file, 'old')
    await writeJsonDurably(file, {a: 1})
    expect(await fs.readFile(file, 'utf8')).toBe('{"a":1}\n')
    expect(await fs.readdir(dir)).toEqual(['state.json'])
  })

  it('replaces a symbolic link by a regular file and leaves its target untouched', async () => {
    const dir = await makeTempDir()
    const outside = path.join(await makeTempDir(), 'precious.txt')
    await fs.writeFile(outside, 'precious')
    const file = path.join(dir, '.lanspread.json')
    await fs.symlink(outside, file)
    await writeJsonDurably(file, {intent: 'None'})
    expect(await fs.readFile(outside, 'utf8')).toBe('precious')
    expect((await fs.lstat(file)).isFile()).toBe(true)
    expect(await fs.readFile(file, 'utf8')).toBe('{"intent":"None"}\n')
  })

  it('replaces a dangling link without creating its target', async () => {
    const dir = await makeTempDir()
    const target = path.join(await makeTempDir(), 'not-there.json')
    const file = path.join(dir, 'library-rev.json')
    await fs.symlink(target, file)
    await writeJsonDurably(file, {library_rev: 3})
    await expect(fs.lstat(target)).rejects.toMatchObject({code: 'ENOENT'})
    expect((await fs.lstat(file)).isFile()).toBe(true)
  })

  it('fails as io, keeps the old content and removes its temp when the write fails', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'index.json')
    await fs.writeFile(file, 'old')
    await expect(writeFileDurably(file, 'new content', {writer: halfThenFull})).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining(`${file}: no space left on the device (ENOSPC)`),
      hint: expect.stringContaining('free some disk space'),
    })
    expect(await fs.readFile(file, 'utf8')).toBe('old')
    expect(await fs.readdir(dir)).toEqual(['index.json'])
  })

  it('removes its temp when the rename fails (a folder where the file should be)', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, '.lanspread.json')
    await fs.mkdir(file)
    await expect(writeJsonDurably(file, {intent: 'None'})).rejects.toMatchObject({code: 'io', message: expect.stringContaining(file)})
    expect(await fs.readdir(dir)).toEqual(['.lanspread.json'])
    expect((await fs.lstat(file)).isDirectory()).toBe(true)
  })

  it('fails as io when the folder is missing, creating nothing', async () => {
    const dir = await makeTempDir()
    await expect(writeJsonDurably(path.join(dir, 'gone', 'x.json'), {})).rejects.toMatchObject({code: 'io'})
    expect(await fs.readdir(dir)).toEqual([])
  })
})

const unavailable = await tinyDiskUnavailable()
if (unavailable !== undefined) console.warn(`atomic-write: skipping the real full-disk test (${unavailable}); the injected ENOSPC test still runs`)

describe.skipIf(missingOutsideCi(unavailable))('writeFileDurably on a real full disk (tmpfs)', () => {
  let disk: TinyDisk
  beforeAll(async () => {
    disk = await mountTinyDisk()
  })
  afterAll(() => disk.unmount())

  it('keeps the old content and leaves no temp file', async () => {
    const file = path.join(disk.dir, 'index.json')
    await fs.writeFile(file, 'old')
    await disk.fill()
    await expect(writeFileDurably(file, Buffer.alloc(32 * 1024, 1))).rejects.toMatchObject({code: 'io', message: expect.stringContaining('ENOSPC')})
    expect(await fs.readFile(file, 'utf8')).toBe('old')
    expect((await fs.readdir(disk.dir)).sort()).toEqual(['filler', 'index.json'])
    await disk.free()
  })
})
