import {createHash} from 'blake3-wasm'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {hashFile} from '../../src/library/content-hashes.js'
import {Library} from '../../src/library/library.js'
import {makeTempLibrary, setMtime} from '../helpers/temp-library.js'

const blake3 = (data: Buffer): string => createHash().update(data).digest('hex')

describe('content hashes', () => {
  it('hashes each file and each fixed-size chunk with BLAKE3', async () => {
    const lib = await makeTempLibrary()
    const data = Buffer.from(Array.from({length: 10_000}, (_, i) => i % 251))
    const root = await lib.writeGame('g', {'f.bin': data})
    const stat = await fs.stat(path.join(root, 'f.bin'))
    const hashes = await hashFile(path.join(root, 'f.bin'), {path: 'f.bin', size: stat.size, mtime_ms: stat.mtimeMs}, 4096)
    expect(hashes.hash).toBe(blake3(data))
    expect(hashes.chunks).toEqual([blake3(data.subarray(0, 4096)), blake3(data.subarray(4096, 8192)), blake3(data.subarray(8192))])
  })

  it('gives an empty file one chunk hash', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', {'empty.bin': ''})
    const stat = await fs.stat(path.join(root, 'empty.bin'))
    const hashes = await hashFile(path.join(root, 'empty.bin'), {path: 'empty.bin', size: 0, mtime_ms: stat.mtimeMs}, 4096)
    expect(hashes.chunks).toEqual([blake3(Buffer.alloc(0))])
  })

  it('are computed lazily, cached in the index, and recomputed only for files whose size or mtime changed', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'version.ini': '1', 'a.eti': 'aaa', 'data/b.bin': 'bbb', 'data/c.bin': 'ccc'})
    const library = await Library.open(lib.paths)
    await library.refresh()
    expect((await library.storedGame('g'))!.content_hashes).toEqual({})

    const first = await library.content('g')
    expect(first.hashed).toEqual(['a.eti', 'data/b.bin', 'data/c.bin', 'version.ini'])
    expect(first.content_hashes['data/b.bin']!.hash).toBe(blake3(Buffer.from('bbb')))

    // A new process finds them in index.json and hashes nothing.
    const reopened = await Library.open(lib.paths)
    expect((await reopened.content('g')).hashed).toEqual([])

    await setMtime(lib.file('g', 'data', 'b.bin'), 1_500_000) // same size, new mtime
    await fs.writeFile(lib.file('g', 'data', 'c.bin'), 'cccc') // new size
    const third = await reopened.content('g')
    expect(third.hashed).toEqual(['data/b.bin', 'data/c.bin'])
    expect(third.content_hashes['data/c.bin']!.hash).toBe(blake3(Buffer.from('cccc')))
    expect((await reopened.content('g')).hashed).toEqual([])
  })

  it('forget hashes of files that left the manifest', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'a.eti': 'a', 'b.bin': 'b'})
    const library = await Library.open(lib.paths)
    await library.content('g')
    await fs.rm(lib.file('g', 'b.bin'))
    expect(Object.keys((await library.content('g')).content_hashes)).toEqual(['a.eti'])
  })

  it('fails with not_found for an unknown game', async () => {
    const lib = await makeTempLibrary()
    await expect((await Library.open(lib.paths)).content('nope')).rejects.toMatchObject({code: 'not_found'})
  })
})
