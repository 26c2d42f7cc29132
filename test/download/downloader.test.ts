import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {downloadGame, type DownloadOptions} from '../../src/download/downloader.js'
import type {DownloadProgress} from '../../src/download/progress.js'
import {Library} from '../../src/library/library.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {FakeSource, type FakeGame, fakeGame} from '../helpers/fake-sources.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree} from '../helpers/tree.js'

const KIB = 1024
const MIB = 1024 * KIB
const CHUNK = 64 * KIB

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 17 + (i >> 9)) & 0xff
  return out
}

const FILES = {
  'version.ini': '1\n',
  'a.eti': pattern(10 * CHUNK + 123, 1),
  'data/b.bin': pattern(3 * CHUNK, 2),
  'empty.txt': '',
}

async function setup(catalog = [{id: 'g', name: 'G'}]) {
  const lib = await makeTempLibrary(catalog)
  const operations = new GameOperations(lib.paths)
  const library = await Library.open(lib.paths, {operations})
  operations.attachLibrary(library)
  const download = (sources: FakeSource[], options: Partial<DownloadOptions> = {}) =>
    downloadGame({id: 'g', candidates: sources.map((s) => s.candidate()), ...options}, {operations})
  return {lib, operations, library, download, root: lib.file('g')}
}

async function expectSameFiles(root: string, game: FakeGame): Promise<void> {
  for (const file of game.manifest.files) {
    const bytes = await fs.readFile(path.join(root, file.path))
    expect(bytes.equals(Buffer.from(game.read(file.path, 0, file.size))), file.path).toBe(true)
  }
}

function chunkKeys(sources: FakeSource[]): string[] {
  return sources.flatMap((s) => s.requests.map((r) => `${r.path}@${r.offset}`))
}

describe('downloadGame', () => {
  it('fetches a game from three sources once per chunk and writes the sentinel last', async () => {
    const {download, root, library} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const sources = ['p1', 'p2', 'p3'].map((peer) => new FakeSource(peer, game))
    const result = await download(sources)
    await expectSameFiles(root, game)
    const keys = chunkKeys(sources)
    expect(new Set(keys).size).toBe(keys.length) // no chunk fetched twice
    expect(keys).toHaveLength(11 + 3 + 1) // a.eti, data/b.bin, version.ini; the empty file is not fetched
    const total = 10 * CHUNK + 123 + 3 * CHUNK + 2
    expect(result).toMatchObject({id: 'g', eti_version: '1', manifest_hash: game.manifest.manifest_hash, bytes: total, reused_bytes: 0, retried_chunks: 0})
    expect(result.sources.map((s) => s.bytes).reduce((a, b) => a + b)).toBe(total)
    expect(result.sources.filter((s) => s.bytes > 0).length).toBeGreaterThan(1) // spread, not one source doing all
    expect((await fs.readdir(root)).sort()).toEqual(['a.eti', 'data', 'empty.txt', 'version.ini'])
    // The peer's own scan now sees the very manifest it downloaded.
    expect(library.summary('g')).toMatchObject({availability: 'ready', downloaded: true, eti_version: '1', manifest_hash: game.manifest.manifest_hash})
  })

  it("starts each file's fsync once its last chunk is written, while later files are still fetched, and syncs every file once", async () => {
    const {operations, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    // 20 ms a chunk: each write lands long before the next reply.
    const source = new FakeSource('p1', game, {delayMs: 20})
    const synced: {file: string; requested: number}[] = []
    const syncFile = async (file: string) => void synced.push({file: path.relative(root, file), requested: source.requests.length})
    await downloadGame({id: 'g', candidates: [source.candidate()], limits: {perSource: 1}}, {operations, syncFile})
    // version.ini's bytes go to .version.ini.tmp until the sentinel is published.
    expect(synced.map((s) => s.file).sort()).toEqual(['.version.ini.tmp', 'a.eti', 'data/b.bin', 'empty.txt'])
    // The first file completed was flushing while the others' chunks were still to come (chunks
    // go in random order, so which file completes first varies; the empty file needs no chunk).
    expect(Math.min(...synced.filter((s) => s.file !== 'empty.txt').map((s) => s.requested))).toBeLessThan(15)
  })

  it('sends a source no more requests at once than its maxInFlight, the others up to perSource', async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    /** Counts its requests in flight; the QUIC source asks for two at most. */
    class CountingSource extends FakeSource {
      active = 0
      most = 0
      constructor(
        peerId: string,
        readonly maxInFlight?: number,
      ) {
        super(peerId, game, {delayMs: 10})
      }
      override async getChunk(request: Parameters<FakeSource['getChunk']>[0]) {
        this.most = Math.max(this.most, ++this.active)
        try {
          return await super.getChunk(request)
        } finally {
          this.active--
        }
      }
    }
    const limited = new CountingSource('quic', 1)
    const open = new CountingSource('bulk')
    await download([limited, open], {limits: {perSource: 4}})
    expect(limited.most).toBe(1)
    expect(open.most).toBe(4)
    expect(limited.servedBytes).toBeGreaterThan(0)
    await expectSameFiles(root, game)
  })

  it("retries a lying source's chunks from the honest one and counts them", async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const liar = new FakeSource('liar', game, {lies: (r) => r.path === 'a.eti'})
    const honest = new FakeSource('honest', game)
    const result = await download([liar, honest])
    await expectSameFiles(root, game)
    // The liar is dropped at its first bad chunk (record 0032): replies to its other requests in
    // flight then are discarded unread, so they count as retried only when they were checked.
    const lies = liar.requests.filter((r) => r.path === 'a.eti').length
    expect(lies).toBeGreaterThan(0)
    expect(result.retried_chunks).toBeGreaterThanOrEqual(1)
    expect(result.retried_chunks).toBeLessThanOrEqual(lies)
  })

  it('fails with integrity when the only source lies, leaving no sentinel and local/ untouched', async () => {
    const {download, lib, root} = await setup()
    await lib.writeGame('g', {'version.ini': '0\n', 'a.eti': 'old', 'local/save.dat': 'mine'})
    const game = fakeGame('g', FILES, CHUNK)
    const liar = new FakeSource('liar', game, {lies: (r) => r.path === 'data/b.bin'})
    await expect(download([liar])).rejects.toMatchObject({code: 'integrity', message: expect.stringContaining('data/b.bin')})
    const entries = await fs.readdir(root)
    expect(entries).not.toContain('version.ini')
    expect(entries).not.toContain('.version.ini.tmp')
    expect(await fs.readFile(path.join(root, 'local/save.dat'), 'utf8')).toBe('mine')
  })

  it('learns the catalog entry only of a game downloaded complete, before the sentinel, so it ends ready', async () => {
    const {download, library} = await setup([])
    const game = fakeGame('g', FILES, CHUNK)
    const learned: string[] = []
    const learn = async () => {
      learned.push('g')
      await library.learn({id: 'g', name: 'G from a peer'})
    }
    await expect(download([new FakeSource('liar', game, {lies: (r) => r.path === 'data/b.bin'})], {beforePublish: learn})).rejects.toMatchObject({
      code: 'integrity',
    })
    expect(learned).toEqual([])
    await download([new FakeSource('p1', game)], {beforePublish: learn})
    expect(learned).toEqual(['g'])
    expect(library.summary('g')).toMatchObject({name: 'G from a peer', availability: 'ready', downloaded: true})
  })

  it('drops a source whose requests fail and finishes from the others', async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const failing = new FakeSource('failing', game, {fails: () => true})
    const honest = new FakeSource('honest', game)
    const result = await download([failing, honest])
    await expectSameFiles(root, game)
    expect(result.sources.find((s) => s.peer_id === 'failing')?.bytes).toBe(0)
    // Dropped at its third failure; until then it had up to four requests in flight.
    expect(failing.requests.length).toBeLessThanOrEqual(3 + 4 - 1)
  })

  it('gives the chunks of a source that misses its timeout to a fast one', async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const slow = new FakeSource('slow', game, {delayMs: 2_000})
    const fast = new FakeSource('fast', game)
    const started = Date.now()
    const result = await download([slow, fast], {limits: {chunkTimeoutMs: 100}})
    expect(Date.now() - started).toBeLessThan(1_500)
    await expectSameFiles(root, game)
    expect(result.sources.find((s) => s.peer_id === 'slow')?.bytes).toBe(0)
  })

  it('lets an idle fast source take over chunks a slow one holds, before any timeout', async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const slow = new FakeSource('slow', game, {delayMs: 1_500})
    const fast = new FakeSource('fast', game)
    const started = Date.now()
    const result = await download([slow, fast], {limits: {chunkTimeoutMs: 30_000, stealAfterMs: 50}})
    expect(Date.now() - started).toBeLessThan(1_200)
    await expectSameFiles(root, game)
    expect(result.sources.find((s) => s.peer_id === 'fast')?.bytes).toBe(result.bytes)
    expect(slow.requests.length).toBeGreaterThan(0)
  })

  it('resumes after a cancel, fetching only the chunks that were not written', async () => {
    const {download, root} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const controller = new AbortController()
    let written = 0
    let chunksWritten = -1 // the first report comes before any chunk
    const onProgress = (p: DownloadProgress) => {
      written = p.fetched_bytes
      if (++chunksWritten >= 4) controller.abort()
    }
    const first = new FakeSource('p1', game, {delayMs: 5})
    await expect(download([first], {signal: controller.signal, onProgress, limits: {perSource: 1}})).rejects.toMatchObject({code: 'interrupted'})
    expect(await fs.readdir(root)).not.toContain('version.ini')
    expect(chunksWritten).toBeGreaterThanOrEqual(4)
    // One request at a time: the chunks written are the first ones asked for (in random order);
    // version.ini's went to .version.ini.tmp, which the cancelled download removed.
    const writtenKeys = first.requests.slice(0, chunksWritten).map((r) => `${r.path}@${r.offset}`)
    const kept = writtenKeys.filter((key) => key !== 'version.ini@0')
    const second = new FakeSource('p1', game)
    const result = await download([second])
    await expectSameFiles(root, game)
    expect(result.reused_bytes).toBe(written - (kept.length < writtenKeys.length ? 2 : 0))
    expect(result.bytes + result.reused_bytes).toBe(10 * CHUNK + 123 + 3 * CHUNK + 2)
    const secondKeys = second.requests.map((r) => `${r.path}@${r.offset}`)
    expect(kept.filter((key) => secondKeys.includes(key))).toEqual([])
    expect(secondKeys).toHaveLength(15 - kept.length)
  })

  it('moves one chunk for an update in which one 4 MiB region of one file changed', async () => {
    const {download, root} = await setup()
    const v1 = {'version.ini': '1\n', 'big.eti': pattern(24 * MIB, 3), 'small.eti': pattern(5 * MIB, 4)}
    const old = fakeGame('g', v1, 4 * MIB)
    await download([new FakeSource('p1', old)])
    const changed = Buffer.from(v1['big.eti'])
    changed.fill(7, 12 * MIB + 100, 12 * MIB + 200) // inside the fourth chunk
    const next = fakeGame('g', {...v1, 'version.ini': '2\n', 'big.eti': changed}, 4 * MIB)
    const source = new FakeSource('p1', next)
    const result = await download([source])
    await expectSameFiles(root, next)
    expect(source.requests.map((r) => `${r.path}@${r.offset}`).sort()).toEqual(['big.eti@12582912', 'version.ini@0'])
    expect(result.bytes).toBe(4 * MIB + 2)
    expect(result.reused_bytes).toBe(25 * MIB) // the 20 MiB of big.eti that did not change, and small.eti
  })

  it('truncates a longer file and removes payload the new manifest does not list, never local/ or reserved names', async () => {
    const {download, lib, root} = await setup()
    const outside = await makeTempDir()
    await lib.writeGame('g', {
      'version.ini': '0\n',
      'a.eti': Buffer.concat([pattern(10 * CHUNK + 123, 1), Buffer.from('tail')]),
      'old.eti': 'gone',
      'olddir/x.bin': 'gone',
      'data/stale.bin': 'gone',
      'local/save.dat': 'mine',
      '.lanspread.json': '{"intent":"None"}',
    })
    await fs.symlink(outside, path.join(root, 'link-to-outside'))
    const game = fakeGame('g', FILES, CHUNK)
    const result = await download([new FakeSource('p1', game)])
    await expectSameFiles(root, game)
    expect(result.reused_bytes).toBe(10 * CHUNK + 123)
    expect(result.removed.sort()).toEqual(['data/stale.bin', 'old.eti', 'olddir'])
    const tree = await snapshotTree(root)
    expect(tree['local/save.dat']).toBe('mine')
    expect(tree['link-to-outside']).toBe(`<link ${outside}>`)
    expect(Object.keys(tree).sort()).toEqual([
      '.lanspread.json',
      'a.eti',
      'data',
      'data/b.bin',
      'empty.txt',
      'link-to-outside',
      'local',
      'local/save.dat',
      'version.ini',
    ])
  })

  it('never writes through a symbolic link that stands where a folder of the game goes', async () => {
    const {download, lib, root} = await setup()
    const outside = await makeTempDir()
    await fs.writeFile(path.join(outside, 'b.bin'), FILES['data/b.bin'])
    await lib.writeGame('g', {})
    await fs.symlink(outside, path.join(root, 'data'))
    const game = fakeGame('g', FILES, CHUNK)
    const result = await download([new FakeSource('p1', game)])
    expect(result.reused_bytes).toBe(0)
    expect((await fs.lstat(path.join(root, 'data'))).isDirectory()).toBe(true)
    expect(await fs.readdir(outside)).toEqual(['b.bin'])
    await expectSameFiles(root, game)
  })

  it('shows the game downloading while it runs, and a concurrent install busy', async () => {
    const {download, operations, library} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const source = new FakeSource('p1', game, {hold: true})
    const running = download([source])
    for (let i = 0; i < 200 && source.heldCount === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(source.heldCount).toBeGreaterThan(0)
    expect(library.summary('g')?.availability).toBe('downloading')
    await expect(operations.install('g')).rejects.toMatchObject({code: 'busy'})
    source.release(true)
    await running
    expect(library.summary('g')).toMatchObject({availability: 'ready', downloaded: true})
  })
})
