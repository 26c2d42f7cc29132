// Several archives extracted one after another into one folder, and progress reports that
// grow and end at the archive's size for each format.
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {type ArchiveFormat, extractArchive} from '../../../src/ops/extract/index.js'
import {rawTar, rawTarGz} from './helpers/raw-tar.js'
import {rawZip} from './helpers/raw-zip.js'
import {noise} from './helpers/noise.js'
import {createWorkspace, expectCode, listTree, removeAll} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

async function modeOf(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777
}

describe('extractArchive, several archives into one folder', () => {
  it('lets later archives add files and overwrite earlier ones, modes included', async () => {
    const ws = await createWorkspace(created)
    const first = await ws.file(
      '1.eti',
      rawTar([
        {name: 'shared.txt', data: 'from tar'},
        {name: 'only-tar.txt', data: 't'},
      ]),
    )
    const second = await ws.file(
      '2.eti',
      rawZip([
        {name: 'shared.txt', data: 'from zip', mode: 0o100755},
        {name: 'only-zip.txt', data: 'z'},
      ]),
    )
    const third = await ws.file('3.eti', rawTarGz([{name: 'shared.txt', data: 'from tar.gz', mode: 0o644}]))
    await extractArchive(first, ws.dest)
    await extractArchive(second, ws.dest)
    expect(await fs.readFile(path.join(ws.dest, 'shared.txt'), 'utf8')).toBe('from zip')
    expect((await modeOf(path.join(ws.dest, 'shared.txt'))) & 0o100).toBe(0o100)
    await extractArchive(third, ws.dest)
    expect(await fs.readFile(path.join(ws.dest, 'shared.txt'), 'utf8')).toBe('from tar.gz')
    expect((await modeOf(path.join(ws.dest, 'shared.txt'))) & 0o100).toBe(0)
    expect(await listTree(ws.dest)).toEqual(['only-tar.txt', 'only-zip.txt', 'shared.txt'])
  })

  it('writes a zip through a folder link an earlier tar made, staying inside', async () => {
    const ws = await createWorkspace(created)
    const first = await ws.file(
      '1.eti',
      rawTar([
        {name: 'real/', type: 'directory'},
        {name: 'alias', type: 'symlink', linkname: 'real'},
      ]),
    )
    const second = await ws.file('2.eti', rawZip([{name: 'alias/file.txt', data: 'via link'}]))
    await extractArchive(first, ws.dest)
    await extractArchive(second, ws.dest)
    expect(await fs.readFile(path.join(ws.dest, 'real', 'file.txt'), 'utf8')).toBe('via link')
  })

  it('refuses a hard link to a symbolic link that an earlier archive made', async () => {
    const ws = await createWorkspace(created)
    const first = await ws.file('1.eti', rawTar([{name: 'sub/up', type: 'symlink', linkname: '..'}]))
    const second = await ws.file('2.eti', rawTar([{name: 'copy', type: 'hardlink', linkname: 'sub/up'}]))
    await extractArchive(first, ws.dest)
    const error = await expectCode(extractArchive(second, ws.dest), 'archive_unsafe')
    expect(error.message).toContain('copy')
    await expect(fs.lstat(path.join(ws.dest, 'copy'))).rejects.toThrow()
  })
})

describe('extractArchive progress', () => {
  const payload = noise(1_500_000)
  const archives: Array<[ArchiveFormat, Buffer]> = [
    ['tar', rawTar([{name: 'big.bin', data: payload}])],
    ['tar.gz', rawTarGz([{name: 'big.bin', data: payload}])],
    ['zip', rawZip([{name: 'big.bin', data: payload, deflate: true}])],
  ]

  it.each(archives)('%s: reports growing byte counts that end at the archive size', async (format, bytes) => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('big.eti', bytes)
    const calls: Array<[number, number]> = []
    const result = await extractArchive(archive, ws.dest, {onProgress: (read, total) => calls.push([read, total])})
    expect(result.format).toBe(format)
    expect(calls.length).toBeGreaterThan(1)
    expect(calls.at(-1)).toEqual([bytes.length, bytes.length])
    for (let i = 1; i < calls.length; i++) expect(calls[i]?.[0]).toBeGreaterThanOrEqual(calls[i - 1]?.[0] ?? 0)
    expect(calls.every(([read, total]) => total === bytes.length && read <= total)).toBe(true)
    expect((await fs.readFile(path.join(ws.dest, 'big.bin'))).equals(payload)).toBe(true)
  })
})
