// Format detection from the first bytes: magic numbers, old-style tar checksums, names that
// lie about the format, and the errors for empty, unknown and missing files.
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {detectArchiveFormat, detectFormat} from '../../../src/ops/extract/index.js'
import {rawTar, rawTarGz} from './helpers/raw-tar.js'
import {rawZip} from './helpers/raw-zip.js'
import {createWorkspace, expectCode, removeAll} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

describe('detectFormat', () => {
  it('reads gzip, zip, ustar and old-style tar from the first bytes', () => {
    expect(detectFormat(rawTarGz([{name: 'a.txt', data: 'a'}]))).toBe('tar.gz')
    expect(detectFormat(rawZip([{name: 'a.txt', data: 'a'}]))).toBe('zip')
    expect(detectFormat(rawZip([]))).toBe('zip')
    expect(detectFormat(rawTar([{name: 'a.txt', data: 'a'}]))).toBe('tar')
    expect(detectFormat(rawTar([{name: 'a.txt', data: 'a'}], false))).toBe('tar')
  })

  it('returns undefined for other bytes, short headers and a tar header with a bad checksum', () => {
    expect(detectFormat(Buffer.from('just some text, not an archive at all'))).toBeUndefined()
    expect(detectFormat(Buffer.alloc(0))).toBeUndefined()
    expect(detectFormat(Buffer.from([0x1f]))).toBeUndefined()
    expect(detectFormat(Buffer.alloc(512))).toBeUndefined()
    const oldStyle = rawTar([{name: 'a.txt', data: 'a'}], false)
    oldStyle[0] = 0x62
    expect(detectFormat(oldStyle.subarray(0, 512))).toBeUndefined()
  })
})

describe('detectArchiveFormat', () => {
  it('takes the format from the bytes, not the file name', async () => {
    const ws = await createWorkspace(created)
    const tarNamedZip = await ws.file('game.zip', rawTar([{name: 'a.txt', data: 'a'}]))
    const zipNamedTar = await ws.file('game.tar', rawZip([{name: 'a.txt', data: 'a'}]))
    const gzNamedEti = await ws.file('game.eti', rawTarGz([{name: 'a.txt', data: 'a'}]))
    expect(await detectArchiveFormat(tarNamedZip)).toBe('tar')
    expect(await detectArchiveFormat(zipNamedTar)).toBe('zip')
    expect(await detectArchiveFormat(gzNamedEti)).toBe('tar.gz')
  })

  it('refuses an unknown format and an empty file as archive_corrupt naming the file', async () => {
    const ws = await createWorkspace(created)
    const text = await ws.file('readme.eti', 'hello, this is not an archive')
    const empty = await ws.file('empty.eti', '')
    const unknown = await expectCode(detectArchiveFormat(text), 'archive_corrupt')
    expect(unknown.message).toContain(text)
    expect(unknown.message).toContain('not tar, tar.gz or zip')
    const nothing = await expectCode(detectArchiveFormat(empty), 'archive_corrupt')
    expect(nothing.message).toContain(empty)
    expect(nothing.message).toContain('empty')
  })

  it('reports a missing file as io', async () => {
    const ws = await createWorkspace(created)
    const error = await expectCode(detectArchiveFormat(path.join(ws.parent, 'missing.eti')), 'io')
    expect(error.message).toContain('missing.eti')
  })
})
