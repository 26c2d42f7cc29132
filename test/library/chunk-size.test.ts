// The chunk size of a manifest follows from the game's size (record 0037): 1 MiB up to 4 GiB,
// doubling to 4 MiB, and a manifest read from disk carries it.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {MAX_CHUNK_SIZE, MIN_CHUNK_SIZE} from '../../src/config.js'
import {TARGET_CHUNKS, chunkSizeFor} from '../../src/library/chunk-size.js'
import {readManifest} from '../../src/library/manifest.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => fs.rm(dir, {recursive: true, force: true})))
})

describe('chunkSizeFor', () => {
  it('gives small games 1 MiB chunks, doubles past 4 GiB, and stops at 4 MiB', () => {
    expect(chunkSizeFor(0)).toBe(MIN_CHUNK_SIZE)
    expect(chunkSizeFor(64 * MiB)).toBe(MiB)
    expect(chunkSizeFor(4 * GiB)).toBe(MiB)
    expect(chunkSizeFor(4 * GiB + 1)).toBe(2 * MiB)
    expect(chunkSizeFor(8 * GiB + 1)).toBe(4 * MiB)
    expect(chunkSizeFor(150 * GiB)).toBe(MAX_CHUNK_SIZE)
  })

  it('keeps every game up to 16 GiB within TARGET_CHUNKS chunks', () => {
    for (const size of [1, 3 * GiB, 4 * GiB, 6 * GiB, 9 * GiB, 16 * GiB]) expect(Math.ceil(size / chunkSizeFor(size))).toBeLessThanOrEqual(TARGET_CHUNKS)
  })
})

describe('readManifest', () => {
  it('records the chunk size of the game on disk, and one given instead', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-chunk-size-'))
    dirs.push(root)
    await fs.writeFile(path.join(root, 'a.eti'), Buffer.alloc(3 * MiB))
    // A sparse 5 GiB file: the rule reads sizes only.
    const big = await fs.open(path.join(root, 'b.bin'), 'w')
    await big.truncate(5 * GiB)
    await big.close()
    expect((await readManifest(root)).chunk_size).toBe(2 * MiB)
    await fs.rm(path.join(root, 'b.bin'))
    expect((await readManifest(root)).chunk_size).toBe(MiB)
    expect((await readManifest(root, 4 * MiB)).chunk_size).toBe(4 * MiB)
  })
})
