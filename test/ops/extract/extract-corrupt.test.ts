// Damaged archives (truncated, flipped bytes, bad CRC, bad central directory) and unknown
// formats fail as archive_corrupt naming the file; missing paths fail as io.
import path from 'node:path'
import zlib from 'node:zlib'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive} from '../../../src/ops/extract/index.js'
import {rawTar, rawTarGz} from './helpers/raw-tar.js'
import {rawZip} from './helpers/raw-zip.js'
import {noise} from './helpers/noise.js'
import {createWorkspace, expectCode, removeAll} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

function flip(data: Buffer, offset: number): Buffer {
  const copy = Buffer.from(data)
  copy[offset] = (copy[offset] ?? 0) ^ 0xff
  return copy
}

const entries = [
  {name: 'a.txt', data: 'hello'},
  {name: 'data/noise.bin', data: noise(100_000)},
]
const tar = rawTar(entries)
const tarGz = rawTarGz(entries)
const zip = rawZip(entries.map((entry) => ({...entry, deflate: true})))
const storedZip = rawZip(entries)
const centralOffset = storedZip.readUInt32LE(storedZip.length - 6)

const CASES: Array<[string, Buffer]> = [
  ['a truncated tar.gz', tarGz.subarray(0, Math.floor(tarGz.length / 2))],
  ['a tar.gz without its last bytes', tarGz.subarray(0, tarGz.length - 6)],
  ['a tar.gz with a flipped byte', flip(tarGz, Math.floor(tarGz.length / 2))],
  ['a gzip that holds no tar', zlib.gzipSync(noise(5_000))],
  ['a tar truncated inside an entry', tar.subarray(0, 512 * 4)],
  ['a tar whose first header checksum fails', flip(tar, 0)],
  ['a zip with a bad central directory', flip(storedZip, centralOffset)],
  ['a zip whose end record is cut off', zip.subarray(0, zip.length - 10)],
  ['a zip cut in half', zip.subarray(0, Math.floor(zip.length / 2))],
  ['a zip whose stored data fails its CRC', flip(storedZip, 30 + 'a.txt'.length + 1)],
  ['a zip whose deflated data is damaged', flip(zip, Math.floor(zip.length / 2))],
]

/** `rawTar` without its two zero end blocks: the bytes of a tar cut exactly after its last entry. */
const tarWithoutEnd = tar.subarray(0, tar.length - 1024)
const firstEntryEnd = 512 + 512

const TRUNCATED: Array<[string, Buffer]> = [
  ['a tar cut between two entries', tar.subarray(0, firstEntryEnd)],
  ['a tar cut right after its last entry', tarWithoutEnd],
  ['a tar cut after the first of its two zero blocks', tar.subarray(0, tar.length - 512)],
  ['a tar.gz made from a tar cut after its last entry', zlib.gzipSync(tarWithoutEnd)],
]

describe('extractArchive on truncated tar archives', () => {
  it.each(TRUNCATED)('%s is archive_corrupt: ends before its end-of-archive marker', async (_label, bytes) => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('cut.eti', bytes)
    const error = await expectCode(extractArchive(archive, ws.dest), 'archive_corrupt')
    expect(error.message).toBe(`archive ${archive} ends before its end-of-archive marker: the file is truncated; download it again`)
    expect(error.hint).toContain('download the game again')
  })

  it('accepts a tar whose end blocks are followed by record padding (GNU tar pads to 10 KiB)', async () => {
    const ws = await createWorkspace(created)
    const padded = Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240))])
    const archive = await ws.file('padded.eti', padded)
    await expect(extractArchive(archive, ws.dest)).resolves.toMatchObject({format: 'tar', files: 2})
  })
})

describe('extractArchive on damaged archives', () => {
  it.each(CASES)('%s is archive_corrupt naming the file', async (_label, bytes) => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('broken.eti', bytes)
    const error = await expectCode(extractArchive(archive, ws.dest), 'archive_corrupt')
    expect(error.message).toContain(archive)
    expect(error.hint).toContain('download the game again')
  })

  it('refuses a file of another format as archive_corrupt', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('notes.eti', 'Rar!\x1a\x07\x00 pretend this is a rar archive')
    const error = await expectCode(extractArchive(archive, ws.dest), 'archive_corrupt')
    expect(error.message).toContain(archive)
    expect(error.message).toContain('not tar, tar.gz or zip')
  })

  it('reports a missing archive or destination as io', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('ok.eti', tar)
    await expectCode(extractArchive(path.join(ws.parent, 'missing.eti'), ws.dest), 'io')
    await expectCode(extractArchive(archive, path.join(ws.parent, 'no-such-dest')), 'io')
    await expectCode(extractArchive(archive, archive), 'io')
  })
})
