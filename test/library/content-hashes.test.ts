import {createHash} from 'blake3-wasm'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {FILE_HASH_FORM, type FileHashes, computeContentHashes, fileHashOf, hashFile} from '../../src/library/content-hashes.js'
import {loadNativeBackend} from '../../src/library/blake3.js'
import {Library} from '../../src/library/library.js'
import type {ManifestFile} from '../../src/library/manifest.js'
import {makeTempLibrary, setMtime} from '../helpers/temp-library.js'

// Expected values are computed with blake3-wasm directly, independent of src/library/blake3.ts.
const blake3 = (data: Buffer): Buffer => createHash().update(data).digest()
const hex = (data: Buffer): string => blake3(data).toString('hex')
/** The file-hash rule written out by hand: BLAKE3("lanspread-file-v2\n" ‖ raw chunk hashes). */
const fileHash = (chunks: Buffer[]): string => hex(Buffer.concat([Buffer.from('lanspread-file-v2\n'), ...chunks.map(blake3)]))
function pattern(length: number): Buffer {
  const data = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >> 8)) % 251
  return data
}

async function writeAndDescribe(name: string, data: Buffer | string): Promise<{file: string; entry: ManifestFile; root: string}> {
  const lib = await makeTempLibrary()
  const root = await lib.writeGame('g', {[name]: data})
  const file = path.join(root, name)
  const stat = await fs.stat(file)
  return {file, root, entry: {path: name, size: stat.size, mtime_ms: stat.mtimeMs}}
}

function nativeLoads(): boolean {
  try {
    loadNativeBackend()
    return true
  } catch {
    return false
  }
}

afterEach(() => {
  vi.unstubAllEnvs()
})

// Every hashing test runs with each backend this platform has (native where it loads).
describe.each(nativeLoads() ? ['native', 'wasm'] : ['wasm'])('content hashes (LANSPREAD_BLAKE3=%s)', (backend) => {
  it('hashes each fixed-size chunk once, and the file as BLAKE3 of its chunk hashes in order', async () => {
    vi.stubEnv('LANSPREAD_BLAKE3', backend)
    const data = pattern(10_000)
    const {file, entry} = await writeAndDescribe('f.bin', data)
    const hashes = await hashFile(file, entry, 4096)
    const pieces = [data.subarray(0, 4096), data.subarray(4096, 8192), data.subarray(8192)]
    expect(hashes.chunks).toEqual(pieces.map(hex))
    expect(hashes.hash).toBe(fileHash(pieces))
    expect(hashes.hash).toBe(fileHashOf(hashes.chunks))
    expect(hashes.hash).not.toBe(hex(data)) // not the old whole-file form
    expect(hashes.hash_form).toBe(FILE_HASH_FORM)
  })

  it('gives a file of exactly one chunk one chunk hash, and one byte more a second chunk', async () => {
    vi.stubEnv('LANSPREAD_BLAKE3', backend)
    const exact = pattern(4096)
    const one = await writeAndDescribe('exact.bin', exact)
    const exactHashes = await hashFile(one.file, one.entry, 4096)
    expect(exactHashes.chunks).toEqual([hex(exact)])
    expect(exactHashes.hash).toBe(fileHash([exact]))

    const plus = pattern(4097)
    const two = await writeAndDescribe('plus.bin', plus)
    const plusHashes = await hashFile(two.file, two.entry, 4096)
    expect(plusHashes.chunks).toEqual([hex(plus.subarray(0, 4096)), hex(plus.subarray(4096))])
    expect(plusHashes.hash).toBe(fileHash([plus.subarray(0, 4096), plus.subarray(4096)]))
  })

  it('gives an empty file one chunk: the hash of no bytes', async () => {
    vi.stubEnv('LANSPREAD_BLAKE3', backend)
    const {file, entry} = await writeAndDescribe('empty.bin', '')
    const hashes = await hashFile(file, entry, 4096)
    expect(hashes.chunks).toEqual(['af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'])
    expect(hashes.hash).toBe(fileHash([Buffer.alloc(0)]))
  })

  it('hashes a file of several real 4 MiB chunks the same way', async () => {
    vi.stubEnv('LANSPREAD_BLAKE3', backend)
    const chunk = 4 * 1024 * 1024
    const data = pattern(2 * chunk + 12_345)
    const {file, entry} = await writeAndDescribe('big.bin', data)
    const pieces = [data.subarray(0, chunk), data.subarray(chunk, 2 * chunk), data.subarray(2 * chunk)]
    const hashes = await hashFile(file, entry, chunk)
    expect(hashes.chunks).toEqual(pieces.map(hex))
    expect(hashes.hash).toBe(fileHash(pieces))
  })
})

describe('content hash cache', () => {
  it('recomputes a cached entry of the old form (whole-file hash, no hash_form) even though size and mtime match', async () => {
    const data = pattern(5000)
    const {entry, root} = await writeAndDescribe('a.bin', data)
    const old: FileHashes = {
      size: entry.size,
      mtime_ms: entry.mtime_ms,
      chunk_size: 4096,
      hash: hex(data),
      chunks: [hex(data.subarray(0, 4096)), hex(data.subarray(4096))],
    }
    const manifest = {chunk_size: 4096, files: [entry]}

    const first = await computeContentHashes(root, manifest, {'a.bin': old})
    expect(first.hashed).toEqual(['a.bin'])
    expect(first.hashes['a.bin']).toMatchObject({hash_form: FILE_HASH_FORM, hash: fileHash([data.subarray(0, 4096), data.subarray(4096)])})

    const second = await computeContentHashes(root, manifest, first.hashes)
    expect(second.hashed).toEqual([])
    expect(second.hashes['a.bin']).toBe(first.hashes['a.bin'])
  })

  it('recomputes an entry whose chunk list does not fit its size (a damaged cache)', async () => {
    const {entry, root} = await writeAndDescribe('a.bin', pattern(5000))
    const manifest = {chunk_size: 4096, files: [entry]}
    const good = (await computeContentHashes(root, manifest, {})).hashes['a.bin']!
    const damaged = {...good, chunks: good.chunks.slice(0, 1)}
    expect((await computeContentHashes(root, manifest, {'a.bin': damaged})).hashed).toEqual(['a.bin'])
  })

  it('are computed lazily, cached in the index, and recomputed only for files whose size or mtime changed', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    await lib.writeGame('g', {'version.ini': '1', 'a.eti': 'aaa', 'data/b.bin': 'bbb', 'data/c.bin': 'ccc'})
    const library = await Library.open(lib.paths)
    await library.refresh()
    expect((await library.storedGame('g'))!.content_hashes).toEqual({})

    const first = await library.content('g')
    expect(first.hashed).toEqual(['a.eti', 'data/b.bin', 'data/c.bin', 'version.ini'])
    expect(first.content_hashes['data/b.bin']!.hash).toBe(fileHash([Buffer.from('bbb')]))

    // A new process finds them in index.json and hashes nothing.
    const reopened = await Library.open(lib.paths)
    expect((await reopened.content('g')).hashed).toEqual([])

    await setMtime(lib.file('g', 'data', 'b.bin'), 1_500_000) // same size, new mtime
    await fs.writeFile(lib.file('g', 'data', 'c.bin'), 'cccc') // new size
    const third = await reopened.content('g')
    expect(third.hashed).toEqual(['data/b.bin', 'data/c.bin'])
    expect(third.content_hashes['data/c.bin']!.hash).toBe(fileHash([Buffer.from('cccc')]))
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

describe('a file that changes while it is hashed', () => {
  it('is an integrity error when its size or mtime no longer match the manifest', async () => {
    const {file, entry} = await writeAndDescribe('f.bin', pattern(10_000))
    await expect(hashFile(file, {...entry, mtime_ms: entry.mtime_ms - 1000}, 4096)).rejects.toMatchObject({code: 'integrity'})
    await expect(hashFile(file, {...entry, size: entry.size + 1}, 4096)).rejects.toMatchObject({code: 'integrity'})
  })

  it('is an integrity error when it is written or truncated during the read', async () => {
    for (const change of [(f: string) => fs.appendFile(f, 'more'), (f: string) => fs.truncate(f, 100)]) {
      const {file, entry} = await writeAndDescribe('f.bin', pattern(1024 * 1024))
      // 1,024 reads: the change lands during them. The expectation is attached at once, so
      // a rejection that comes before the change finishes is not an unhandled one.
      const hashing = expect(hashFile(file, entry, 1024)).rejects.toMatchObject({code: 'integrity', message: expect.stringContaining(file)})
      await change(file)
      await hashing
    }
  })

  it('is an integrity error when it was replaced by a symbolic link', async () => {
    const {file, entry, root} = await writeAndDescribe('f.bin', pattern(100))
    await fs.rename(file, path.join(root, 'moved.bin'))
    await fs.symlink(path.join(root, 'moved.bin'), file)
    await expect(hashFile(file, entry, 4096)).rejects.toMatchObject({code: 'integrity'})
  })
})
