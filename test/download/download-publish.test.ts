import {describe, expect, it} from 'vitest'
import {downloadGame} from '../../src/download/downloader.js'
import {Library, type LibraryDelta} from '../../src/library/library.js'
import {libraryDigest} from '../../src/library/library-revision.js'
import {GameOperations} from '../../src/ops/game-operations.js'
import {WireGameSummarySchema} from '../../src/protocol/game-summary.js'
import {RemoteLibrary} from '../../src/sync/remote-library.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const CHUNK = 64 * 1024
const FILES = {'version.ini': '2\n', 'a.eti': Buffer.alloc(5 * CHUNK + 17, 7), 'data/b.bin': Buffer.alloc(2 * CHUNK, 9)}

async function setup() {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const operations = new GameOperations(lib.paths)
  const library = await Library.open(lib.paths, {operations})
  operations.attachLibrary(library)
  await library.refresh()
  const deltas: LibraryDelta[] = []
  library.on('changed', (delta) => deltas.push(delta))
  return {lib, operations, library, deltas}
}

/** Resolves once `check` holds, polling; bounded. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

/** A download of the test game from one seed that holds its replies, once its first chunk is asked for. */
async function startHeld(operations: GameOperations) {
  const game = fakeGame('g', FILES, CHUNK)
  const source = new FakeSource('seed', game, {hold: true})
  const running = downloadGame({id: 'g', candidates: [source.candidate()]}, {operations})
  await until(() => source.heldCount > 0, 'the first chunk request')
  return {game, source, running}
}

describe('a download publishes itself (SPEC §5.1)', () => {
  it('shows the game downloading with its target manifest_hash and content_hash, in one revision at the start', async () => {
    const {lib, library, operations, deltas} = await setup()
    await lib.writeGame('g', {'version.ini': '1\n', 'a.eti': 'old archive'})
    await library.refresh()
    const before = library.summary('g')!
    const revBefore = library.libraryRev
    deltas.length = 0
    const {game, source, running} = await startHeld(operations)

    const during = library.summary('g')!
    expect(during).toMatchObject({availability: 'downloading', manifest_hash: game.manifest.manifest_hash, content_hash: game.manifest.content_hash})
    expect(during.manifest_hash).not.toBe(before.manifest_hash)
    expect(operations.downloadTarget('g')).toEqual({manifest_hash: game.manifest.manifest_hash, content_hash: game.manifest.content_hash})
    // One rescan when the lock was taken: one revision, one delta carrying the target.
    expect(library.libraryRev).toBe(revBefore + 1)
    expect(deltas).toHaveLength(1)
    expect(deltas[0]!.updated).toEqual([during])
    // More chunks landing changes nothing in the library.
    source.release()
    await until(() => source.requests.length > 2, 'more chunk requests')
    expect(library.libraryRev).toBe(revBefore + 1)

    source.release(true)
    await running
    const after = library.summary('g')!
    expect(after).toMatchObject({availability: 'ready', eti_version: '2', manifest_hash: game.manifest.manifest_hash})
    expect(after).not.toHaveProperty('content_hash')
    expect(operations.downloadTarget('g')).toBeUndefined()
    expect(library.libraryRev).toBe(revBefore + 2)
    expect(deltas).toHaveLength(2)
  })

  it('puts content_hash in the digest, so a peer applying the summaries reproduces it, and it crosses the wire', async () => {
    const {library, operations} = await setup()
    const {game, source, running} = await startHeld(operations)
    const snapshot = library.snapshot()
    const withoutTarget = snapshot.games.map(({content_hash: _, ...rest}) => rest)
    expect(libraryDigest(snapshot.games)).toBe(snapshot.library_digest)
    expect(libraryDigest(withoutTarget)).not.toBe(snapshot.library_digest)
    const wire = snapshot.games.map((summary) => WireGameSummarySchema.parse(JSON.parse(JSON.stringify(summary))))
    const remote = new RemoteLibrary()
    expect(remote.applySnapshot({...snapshot, games: wire})).toBe('applied')
    expect(remote.get('g')?.content_hash).toBe(game.manifest.content_hash)
    source.release(true)
    await running
  })

  it('keeps the digest of summaries without a download as it was (no content_hash: the same encoding)', async () => {
    const summary = {
      id: 'g',
      name: 'G',
      eti_version: '1',
      size: 3,
      downloaded: true,
      installed: false,
      manifest_hash: 'a'.repeat(64),
      availability: 'ready' as const,
      needs_recovery: false,
    }
    // Computed with the encoding before content_hash existed.
    expect(libraryDigest([summary])).toBe(libraryDigest([{...summary, content_hash: undefined}]))
    expect(libraryDigest([summary])).not.toBe(libraryDigest([{...summary, content_hash: 'b'.repeat(64)}]))
  })

  it('a second download refused as busy leaves the first one’s target in place', async () => {
    const {operations, library} = await setup()
    const {game, source, running} = await startHeld(operations)
    const other = {manifest_hash: 'c'.repeat(64), content_hash: 'd'.repeat(64)}
    await expect(operations.download('g', other, async () => ({}))).rejects.toMatchObject({code: 'busy'})
    expect(library.summary('g')).toMatchObject({manifest_hash: game.manifest.manifest_hash, content_hash: game.manifest.content_hash})
    source.release(true)
    await running
  })

  it('a failed download leaves no target behind', async () => {
    const {operations, library} = await setup()
    const game = fakeGame('g', FILES, CHUNK)
    const liar = new FakeSource('liar', game, {lies: () => true})
    await expect(downloadGame({id: 'g', candidates: [liar.candidate()]}, {operations})).rejects.toMatchObject({code: 'integrity'})
    expect(operations.downloadTarget('g')).toBeUndefined()
    expect(library.summary('g')).toMatchObject({availability: 'local_only'})
    expect(library.summary('g')).not.toHaveProperty('content_hash')
  })
})
