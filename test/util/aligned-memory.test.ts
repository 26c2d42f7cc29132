import {constants} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {DIRECT_IO_ALIGNMENT, allocPageAligned, isPageAligned} from '../../src/util/aligned-memory.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('page-aligned buffers', () => {
  it('are as long as asked, and only aligned starts of whole pages count as aligned', () => {
    const buffer = allocPageAligned(3 * DIRECT_IO_ALIGNMENT)
    expect(buffer.length).toBe(3 * DIRECT_IO_ALIGNMENT)
    expect(isPageAligned(buffer)).toBe(true)
    expect(isPageAligned(buffer.subarray(DIRECT_IO_ALIGNMENT))).toBe(true)
    expect(isPageAligned(buffer.subarray(512))).toBe(false)
    expect(isPageAligned(buffer.subarray(0, DIRECT_IO_ALIGNMENT + 5))).toBe(false)
    expect(isPageAligned(Buffer.alloc(DIRECT_IO_ALIGNMENT))).toBe(false)
    expect(allocPageAligned(10).length).toBe(10)
    // Shared, so a worker thread can hash a chunk without a copy.
    expect(buffer.buffer).toBeInstanceOf(SharedArrayBuffer)
  })

  it.runIf(process.platform === 'linux')('can be written with O_DIRECT, where a plain 4 MiB Buffer is refused', async () => {
    const file = path.join(await makeTempDir(), 'direct.bin')
    const size = 4 * 1024 * 1024
    const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o644)
    try {
      const aligned = allocPageAligned(size).fill(7)
      expect((await handle.write(aligned, 0, size, 0)).bytesWritten).toBe(size)
      // Node's own large buffers start 16 bytes into their allocation: O_DIRECT says EINVAL.
      const plain = Buffer.allocUnsafe(size).fill(8)
      await expect(handle.write(plain, 0, size, size)).rejects.toMatchObject({code: 'EINVAL'})
    } finally {
      await handle.close()
    }
    expect((await fs.readFile(file)).equals(Buffer.alloc(size, 7))).toBe(true)
  })
})
