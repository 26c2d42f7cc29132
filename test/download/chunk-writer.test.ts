import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ChunkFiles} from '../../src/download/chunk-writer.js'
import {LanspreadError} from '../../src/errors.js'
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
