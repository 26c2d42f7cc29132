import {closeSync, openSync, readSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {downloadGame} from '../../src/download/downloader.js'
import type {PlannedChunk, PlannedFile} from '../../src/download/planner.js'
import {type DownloadView, VerifiedChunks} from '../../src/download/verified-chunks.js'
import {blake3} from '../../src/library/blake3.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) out[i] = (i * 13 + seed * 7 + (i >> 10)) & 0xff
  return out
}

// Manifest order (sorted paths): a.eti (3 chunks), data/b.bin (2), empty.txt (1), version.ini (1).
const FILES = {'version.ini': '3\n', 'a.eti': pattern(2 * CHUNK + 5, 1), 'data/b.bin': pattern(2 * CHUNK, 2), 'empty.txt': ''}

function viewOf(root = '/games/g') {
  const game = fakeGame('g', FILES, CHUNK)
  const files: PlannedFile[] = game.manifest.files.map((entry) => ({
    entry,
    diskPath: path.join(root, ...(entry.path === 'version.ini' ? ['.version.ini.tmp'] : entry.path.split('/'))),
    verified: entry.chunks.map((hash) => (entry.size === 0 ? hash : undefined)),
  }))
  const view = new VerifiedChunks(game.manifest, root, files)
  /** What the scheduler does once a chunk is verified and written. */
  const land = (filePath: string, index: number) => {
    const file = files.find((f) => f.entry.path === filePath)!
    file.verified[index] = file.entry.chunks[index]
    const chunk: PlannedChunk = {file, index, offset: index * CHUNK, length: 0, hash: file.entry.chunks[index]!}
    view.landed(chunk)
  }
  return {game, view, land}
}

describe('VerifiedChunks', () => {
  it('numbers chunks file by file, chunk by chunk, in manifest order (an empty file has one, verified at once)', () => {
    const {view} = viewOf()
    expect(view.chunkCount).toBe(3 + 2 + 1 + 1)
    expect(view.indexOf('a.eti', 0)).toBe(0)
    expect(view.indexOf('a.eti', 2 * CHUNK)).toBe(2)
    expect(view.indexOf('data/b.bin', 0)).toBe(3)
    expect(view.indexOf('data/b.bin', CHUNK)).toBe(4)
    expect(view.indexOf('empty.txt', 0)).toBe(5)
    expect(view.indexOf('version.ini', 0)).toBe(6)
    expect(view.verifiedCount).toBe(1)
    expect(view.verifiedIndexes()).toEqual([5])
    expect(view.has(5)).toBe(true)
  })

  it('knows nothing of offsets that start no chunk, paths outside the manifest, or indexes outside the game', () => {
    const {view} = viewOf()
    for (const [file, offset] of [
      ['a.eti', 1],
      ['a.eti', 3 * CHUNK],
      ['a.eti', -CHUNK],
      ['a.eti', 0.5],
      ['nope', 0],
      ['.version.ini.tmp', 0],
    ] as const) {
      expect(view.indexOf(file, offset), `${file}@${offset}`).toBeUndefined()
      expect(view.hasChunk(file, offset)).toBe(false)
    }
    for (const index of [-1, 7, 1.5, Number.NaN]) expect(view.has(index)).toBe(false)
  })

  it('tells where each file is on disk during the download: version.ini in its scratch file', () => {
    const {view} = viewOf()
    expect(view.diskPath('version.ini')).toBe('.version.ini.tmp')
    expect(view.diskPath('data/b.bin')).toBe('data/b.bin')
    expect(() => view.diskPath('nope')).toThrow(expect.objectContaining({code: 'internal'}))
  })

  it('counts landed chunks and tells each listener their global index; a throwing listener does not stop the others', () => {
    const {view, land} = viewOf()
    const heard: number[] = []
    view.onVerified(() => {
      throw new Error('listener failed')
    })
    const stop = view.onVerified((index) => heard.push(index))
    land('data/b.bin', 1)
    land('a.eti', 0)
    expect(heard).toEqual([4, 0])
    expect(view.hasChunk('data/b.bin', CHUNK)).toBe(true)
    expect(view.has(4)).toBe(true)
    expect(view.has(3)).toBe(false)
    expect(view.verifiedCount).toBe(3)
    expect(view.verifiedIndexes()).toEqual([0, 4, 5])
    stop()
    land('version.ini', 0)
    expect(heard).toEqual([4, 0])
    expect(view.has(6)).toBe(true)
  })
})

describe('the downloader shows its verified chunks', () => {
  async function setup() {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const operations = new GameOperations(lib.paths)
    operations.attachLibrary(await Library.open(lib.paths, {operations}))
    return {lib, operations, root: lib.file('g')}
  }

  it('announces a chunk only once its verified bytes are on disk, where diskPath says', async () => {
    const {operations, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    let view: DownloadView | undefined
    const checks: boolean[] = []
    const onStarted = (started: DownloadView) => {
      view = started
      expect(started.manifest).toBe(game.manifest)
      expect(started.verifiedCount).toBe(1) // the empty file
      started.onVerified((index) => {
        // Chunk `index` of the manifest order: find it, read it where the download put it.
        let rest = index
        const entry = game.manifest.files.find((file) => (rest < file.chunks.length ? true : ((rest -= file.chunks.length), false)))!
        const offset = rest * CHUNK
        const length = Math.min(CHUNK, entry.size - offset)
        expect(started.has(index)).toBe(true)
        // Read synchronously, inside the announcement: the bytes must be there already.
        const bytes = Buffer.alloc(length)
        const fd = openSync(path.join(root, started.diskPath(entry.path)), 'r')
        try {
          readSync(fd, bytes, 0, length, offset)
        } finally {
          closeSync(fd)
        }
        checks.push(blake3(bytes).toString('hex') === entry.chunks[rest])
      })
    }
    const source = new FakeSource('seed', game, {delayMs: 2})
    await downloadGame({id: 'g', candidates: [source.candidate()], onStarted, limits: {perSource: 1}}, {operations})
    expect(checks).toEqual([true, true, true, true, true, true])
    expect(view!.verifiedCount).toBe(view!.chunkCount)
  })

  it('after an interrupted download, starts with the chunks verified on disk', async () => {
    const {operations} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    // One request at a time: what came before data/b.bin's third failure is verified and written.
    const first = new FakeSource('seed', game, {fails: (request) => request.path === 'data/b.bin'})
    await expect(downloadGame({id: 'g', candidates: [first.candidate()], limits: {perSource: 1}}, {operations})).rejects.toMatchObject({code: 'no_peers'})
    let resumed: {count: number; indexes: number[]} | undefined
    const second = new FakeSource('seed', game)
    await downloadGame(
      {id: 'g', candidates: [second.candidate()], onStarted: (view) => (resumed = {count: view.verifiedCount, indexes: view.verifiedIndexes()})},
      {operations},
    )
    // The chunks asked of the first source (in random order) other than data/b.bin's landed before
    // the failure, but version.ini's scratch goes with the failed download; the empty file (chunk 5) counts.
    const indexOf = (r: {path: string; offset: number}) => ({'a.eti': 0, 'data/b.bin': 3, 'version.ini': 6})[r.path]! + r.offset / CHUNK
    const landed = [...new Set(first.requests.filter((r) => r.path !== 'data/b.bin' && r.path !== 'version.ini').map(indexOf)), 5].sort((a, b) => a - b)
    expect(resumed!.indexes).toEqual(landed)
    expect(resumed!.count).toBe(landed.length)
    expect(second.requests.map(indexOf).filter((index) => landed.includes(index))).toEqual([])
  })
})
