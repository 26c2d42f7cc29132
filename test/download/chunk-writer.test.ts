import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ChunkFiles, type DirectHandle, directWritesAllowed, openDirect} from '../../src/download/chunk-writer.js'
import {LanspreadError} from '../../src/errors.js'
import {allocPageAligned} from '../../src/util/aligned-memory.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('ChunkFiles', () => {
  it('writes chunks at their offsets through one handle per file, which close() and closeAll() release', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'a.eti')
    await fs.writeFile(file, Buffer.alloc(12))
    const files = new ChunkFiles()
    await Promise.all([files.write(file, 8, Buffer.from('cccc')), files.write(file, 0, Buffer.from('aaaa')), files.write(file, 4, Buffer.from('bbbb'))])
    const fds = async () => (await fs.readdir('/proc/self/fd')).length
    const open = await fds()
    await files.close(file)
    expect(await fds()).toBe(open - 1)
    expect(await fs.readFile(file, 'utf8')).toBe('aaaabbbbcccc')
    // Written again after its close: opened again.
    await files.write(file, 0, Buffer.from('AA'))
    await files.closeAll()
    expect(await fds()).toBe(open - 1)
    expect(await fs.readFile(file, 'utf8')).toBe('AAaabbbbcccc')
  })

  it('never writes through a symbolic link, and names the file in the error', async () => {
    const dir = await makeTempDir()
    const target = path.join(dir, 'target')
    await fs.writeFile(target, 'untouched')
    await fs.symlink(target, path.join(dir, 'a.eti'))
    const files = new ChunkFiles()
    const error = await files.write(path.join(dir, 'a.eti'), 0, Buffer.from('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanspreadError)
    expect((error as LanspreadError).message).toContain('a.eti')
    expect(await fs.readFile(target, 'utf8')).toBe('untouched')
    await files.closeAll()
  })
})

const PAGE = 4096
const O_DIRECT_FLAG = 0o40000 // x86-64 and arm64 Linux

/** The flags of every descriptor this process has open on `file` (from /proc/self/fdinfo). */
async function openFlagsOf(file: string): Promise<number[]> {
  const flags: number[] = []
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '')
    if (target !== file) continue
    const info = await fs.readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '')
    const match = /flags:\s+([0-7]+)/.exec(info)
    if (match) flags.push(Number.parseInt(match[1]!, 8))
  }
  return flags
}

/** A page-aligned chunk of `pages` pages filled with `byte`. */
const alignedChunk = (pages: number, byte: number) => allocPageAligned(pages * PAGE).fill(byte)

describe.runIf(process.platform === 'linux')('ChunkFiles with direct writes', () => {
  it('writes page-aligned chunks through an O_DIRECT handle, the unaligned tail and plain buffers through the page cache', async () => {
    const file = path.join(await makeTempDir(), 'a.eti')
    await fs.writeFile(file, Buffer.alloc(4 * PAGE + 10))
    const files = new ChunkFiles({direct: true})
    await files.write(file, 2 * PAGE, alignedChunk(2, 2))
    expect((await openFlagsOf(file)).some((flags) => (flags & O_DIRECT_FLAG) !== 0)).toBe(true)
    await files.write(file, 0, Buffer.alloc(2 * PAGE, 1)) // not page-aligned memory
    await files.write(file, 4 * PAGE, allocPageAligned(10).fill(3)) // the file's tail
    await files.closeAll()
    expect(await openFlagsOf(file)).toEqual([])
    const expected = Buffer.concat([Buffer.alloc(2 * PAGE, 1), Buffer.alloc(2 * PAGE, 2), Buffer.alloc(10, 3)])
    expect((await fs.readFile(file)).equals(expected)).toBe(true)
  })

  it('opens no O_DIRECT handle when direct writes are off (LANSPREAD_DIRECT_IO=0)', async () => {
    expect(directWritesAllowed({LANSPREAD_DIRECT_IO: '0'})).toBe(false)
    expect(directWritesAllowed({})).toBe(true)
    const file = path.join(await makeTempDir(), 'a.eti')
    await fs.writeFile(file, Buffer.alloc(2 * PAGE))
    const files = new ChunkFiles({direct: false})
    await files.write(file, 0, alignedChunk(2, 5))
    expect((await openFlagsOf(file)).every((flags) => (flags & O_DIRECT_FLAG) === 0)).toBe(true)
    await files.closeAll()
    expect((await fs.readFile(file)).equals(Buffer.alloc(2 * PAGE, 5))).toBe(true)
  })

  it('falls back to the page cache for good when the filesystem refuses O_DIRECT, on open or on a write', async () => {
    const dir = await makeTempDir()
    const refusedOnOpen = path.join(dir, 'a.eti')
    const refusedOnWrite = path.join(dir, 'b.eti')
    for (const file of [refusedOnOpen, refusedOnWrite]) await fs.writeFile(file, Buffer.alloc(4 * PAGE))
    let opens = 0
    let writes = 0
    const einval = Object.assign(new Error('EINVAL: invalid argument, write'), {code: 'EINVAL'})
    const refusingWrites: DirectHandle = {write: async () => (writes++, Promise.reject(einval)), close: async () => {}}
    const files = new ChunkFiles({
      direct: true,
      openDirect: async (file) => (opens++, file === refusedOnOpen ? undefined : refusingWrites),
    })
    for (const file of [refusedOnOpen, refusedOnWrite]) {
      await files.write(file, 0, alignedChunk(2, 1))
      await files.write(file, 2 * PAGE, alignedChunk(2, 2))
    }
    await files.closeAll()
    expect(opens).toBe(2) // once per file, never again after a refusal
    expect(writes).toBe(1)
    for (const file of [refusedOnOpen, refusedOnWrite]) {
      expect((await fs.readFile(file)).equals(Buffer.concat([Buffer.alloc(2 * PAGE, 1), Buffer.alloc(2 * PAGE, 2)]))).toBe(true)
    }
  })

  it('finishes a short direct write through the page cache, and reports any other direct-write error naming the file', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'a.eti')
    await fs.writeFile(file, Buffer.alloc(4 * PAGE))
    const real = (await openDirect(file))!
    // A short write of a page and a half (a disk nearly full): the rest is no longer aligned.
    const short: DirectHandle = {
      write: (buffer, offset, length, position) => real.write(buffer, offset, Math.min(length, PAGE + PAGE / 2), position),
      close: () => real.close(),
    }
    const files = new ChunkFiles({direct: true, openDirect: async () => short})
    const chunk = alignedChunk(4, 9)
    await files.write(file, 0, chunk)
    await files.closeAll()
    expect((await fs.readFile(file)).equals(chunk)).toBe(true)

    const eio = Object.assign(new Error('EIO: i/o error, write'), {code: 'EIO'})
    const failing = new ChunkFiles({direct: true, openDirect: async () => ({write: () => Promise.reject(eio), close: async () => {}})})
    const error = await failing.write(file, 0, alignedChunk(1, 1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanspreadError)
    expect((error as LanspreadError).message).toContain('a.eti')
    await failing.closeAll()
  })

  it('never opens a symbolic link O_DIRECT either', async () => {
    const dir = await makeTempDir()
    const target = path.join(dir, 'target')
    await fs.writeFile(target, 'untouched')
    await fs.symlink(target, path.join(dir, 'a.eti'))
    const files = new ChunkFiles({direct: true})
    const error = await files.write(path.join(dir, 'a.eti'), 0, alignedChunk(1, 1)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanspreadError)
    expect(await fs.readFile(target, 'utf8')).toBe('untouched')
    await files.closeAll()
  })
})
