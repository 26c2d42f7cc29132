// One game's download from start to sentinel: sources chosen, the game's operation lock
// taken, the old sentinel discarded, the chunks already on disk kept, the rest fetched and
// verified, every file's hash checked, stale payload removed, version.ini published last.
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import {blake3} from '../library/blake3.js'
import {fileHashOf} from '../library/content-hashes.js'
import type {GameId, GamePaths} from '../library/layout.js'
import type {DownloadTarget} from '../library/summary.js'
import {failpoint} from '../util/failpoints.js'
import {ChunkScheduler, type SourceKind, type SwarmSources} from './chunk-scheduler.js'
import {DEFAULT_LIMITS, type SchedulerLimits} from './scheduler-limits.js'
import {ChunkFiles, directWritesAllowed, prepareFile, syncFile} from './chunk-writer.js'
import {FileSyncs} from './file-syncs.js'
import {chunkHasher, downloadHashWorkers} from './hash-workers.js'
import {type DownloadPlan, planDownload} from './planner.js'
import {type DownloadProgress, ProgressTracker} from './progress.js'
import {discardSentinel, publishSentinel} from '../library/sentinel.js'
import {assertPlatformHolds} from './platform-check.js'
import {type SelectedSources, type SourceCandidate, selectSources} from './source-selection.js'
import {removeStalePayload} from './stale-payload.js'
import {type DownloadView, VerifiedChunks} from './verified-chunks.js'

/** The `fetch --json` figures of one game (`installed` is the command's). */
export interface DownloadResult {
  id: GameId
  eti_version: string | null
  manifest_hash: string
  /** Bytes fetched over the network in this run. */
  bytes: number
  /** Bytes kept from disk (an interrupted download, the previous version). */
  reused_bytes: number
  elapsed_ms: number
  /** Every source that took part, with its bytes: seeds (ready peers) and partial peers (downloading the same content). */
  sources: {peer_id: string; bytes: number; kind: SourceKind}[]
  retried_chunks: number
  /** Most bytes buffered at once (requests in flight plus replies not yet written). */
  peak_buffered_bytes: number
  /** Payload paths removed because the new manifest does not list them. */
  removed: string[]
}

export interface DownloadOptions {
  id: GameId
  candidates: readonly SourceCandidate[]
  signal?: AbortSignal
  limits?: Partial<SchedulerLimits>
  onProgress?(progress: DownloadProgress): void
  /** Runs once every file is verified, just before the sentinel: fetch keeps the game's catalog entry here. */
  beforePublish?(): Promise<void>
  /**
   * Runs once the plan is made (the chunks already on disk verified), before any chunk is
   * fetched, with a live view of the chunks verified and written; the view stays current until
   * the download's promise settles. Partial peers serve and announce from it (SPEC §5.1).
   */
  onStarted?(view: DownloadView): void
  /**
   * Makes the download a swarm (SPEC §5.1): called once its chunks are being fetched, with the
   * handle that adds sources (seeds, partial peers and their Haves) and removes them while it
   * runs. Chunks no source holds then wait `limits.sourceGraceMs` for one before it fails. The
   * handle ignores everything once the download's promise settles.
   */
  onSwarm?(swarm: SwarmSources): void
  /** This peer's peer_id, known to the other fetchers of a swarm (see SchedulerGame.self). */
  self?: string
  /** A source was dropped for this game: for good (bad bytes), or until it joins again (failures past the limit). */
  onSourceDropped?(peerId: string, reason: string, forGood: boolean): void
}

/**
 * The game's operation lock a download runs under: `work` runs while the lock is held, in a
 * game folder that exists, and the game's summary says `downloading` with `target` meanwhile.
 * The runtime passes its GameOperations; a download knows no ops.
 */
export interface DownloadLock {
  download<T extends object>(id: GameId, target: DownloadTarget, work: (game: GamePaths) => Promise<T>): Promise<T>
  /** Where game `id`'s folder is (or will be): the long-path rule of record 0035 measures from it. */
  gameRoot?(id: GameId): string
}

export interface DownloadComponents {
  operations: DownloadLock
  /** BLAKE3 (hex) of a chunk; defaults to a worker thread (`downloadHashWorkers`), else the current backend on the event loop. */
  hashChunk?(bytes: Uint8Array): Promise<string>
  /** O_DIRECT writes of page-aligned chunks (`ChunkFiles`); defaults to `directWritesAllowed()` (LANSPREAD_DIRECT_IO). */
  directWrites?: boolean
  /** fsync of one payload file (tests watch when it happens). */
  syncFile?(file: string): Promise<void>
  now?(): number
  /** Whose naming rules the payload's paths must follow (record 0035); defaults to process.platform. */
  platform?: string
}

/** Chooses the sources, then downloads under the game's operation lock. */
export async function downloadGame(options: DownloadOptions, components: DownloadComponents): Promise<DownloadResult> {
  const now = components.now ?? Date.now
  const started = now()
  const selected = await selectSources(options.id, options.candidates)
  assertPlatformHolds(options.id, selected.manifest, components.platform ?? process.platform, components.operations.gameRoot?.(options.id))
  const {manifest_hash, content_hash} = selected.manifest
  return components.operations.download(options.id, {manifest_hash, content_hash}, (game) =>
    downloadInto(game, selected, options, {...components, now}, started),
  )
}

/** The download proper, into a game folder whose operation lock the caller holds. */
export async function downloadInto(
  game: GamePaths,
  selected: SelectedSources,
  options: Omit<DownloadOptions, 'candidates'>,
  components: Omit<DownloadComponents, 'operations'>,
  started = (components.now ?? Date.now)(),
): Promise<DownloadResult> {
  failpoint('download.locked')
  await discardSentinel(game)
  // Started lazily by the first chunk, stopped when the download ends whichever way.
  const workers = components.hashChunk ? undefined : downloadHashWorkers()
  const hashChunk = components.hashChunk ?? chunkHasher(workers, hashOnEventLoop)
  try {
    return await fetchPayload(game, selected, options, {...components, hashChunk}, started)
  } catch (error) {
    // Recovery would sweep it too; a failed download leaves no scratch behind.
    await fs.rm(game.sentinelTmp, {force: true}).catch(() => undefined)
    throw error
  } finally {
    await workers?.close()
  }
}

async function fetchPayload(
  game: GamePaths,
  selected: SelectedSources,
  options: Omit<DownloadOptions, 'candidates'>,
  components: Omit<DownloadComponents, 'operations'>,
  started: number,
): Promise<DownloadResult> {
  const now = components.now ?? Date.now
  const {manifest} = selected
  const plan = await planDownload(game, manifest)
  throwIfAborted(options.signal, game.id)
  for (const file of plan.files) await prepareFile(game.root, file.diskPath, file.entry.size)
  const verified = new VerifiedChunks(manifest, game.root, plan.files)
  options.onStarted?.(verified)
  const files = new ChunkFiles({direct: components.directWrites ?? directWritesAllowed()})
  const sync = components.syncFile ?? syncFile
  // A file whose last chunk is written is closed and flushed while the others are still fetched.
  const syncs = new FileSyncs(plan.files, plan.missing, async (file) => {
    await files.close(file)
    await sync(file)
  })
  const tracker = new ProgressTracker(
    game.id,
    plan.totalBytes,
    plan.reusedBytes,
    selected.sources.map((s) => s.peerId),
    now,
  )
  options.onProgress?.(tracker.snapshot())
  const scheduler = new ChunkScheduler(
    {
      id: game.id,
      manifestHash: manifest.manifest_hash,
      chunkCount: verified.chunkCount,
      open: options.onSwarm !== undefined,
      ...(options.self === undefined ? {} : {self: options.self}),
    },
    selected.sources,
    plan.missing.map((planned) => ({planned, index: verified.indexOf(planned.file.entry.path, planned.offset)!})),
    {
      hashChunk: components.hashChunk ?? hashOnEventLoop,
      write: async (chunk, bytes) => {
        await files.write(chunk.file.diskPath, chunk.offset, bytes)
        failpoint('download.chunk-written')
        syncs.written(chunk)
      },
      // Called after the chunk was verified and written: only now may it be served and announced.
      onChunk: ({chunk, peerId, bufferedBytes}) => {
        verified.landed(chunk)
        options.onProgress?.(tracker.chunk(peerId, chunk.length, bufferedBytes))
      },
      ...(options.onSourceDropped ? {onDropped: options.onSourceDropped} : {}),
      now,
    },
    {...DEFAULT_LIMITS, ...options.limits},
    options.signal,
  )
  options.onSwarm?.(scheduler)
  const fetched = await scheduler.run().catch(async (error: unknown) => {
    await syncs.settle()
    await files.closeAll()
    throw error
  })
  failpoint('download.chunks-written')
  await syncs.finish().finally(() => files.closeAll())
  await assertFilesComplete(game.id, plan)
  await syncFolders(game, plan)
  throwIfAborted(options.signal, game.id)
  const removed = await removeStalePayload(game.root, manifest)
  failpoint('download.stale-removed')
  await options.beforePublish?.()
  await publishSentinel(game)
  failpoint('download.sentinel-published')
  return {
    id: game.id,
    eti_version: selected.eti_version,
    manifest_hash: manifest.manifest_hash,
    bytes: fetched.bytes,
    reused_bytes: plan.reusedBytes,
    elapsed_ms: now() - started,
    sources: fetched.sources,
    retried_chunks: fetched.retried_chunks,
    peak_buffered_bytes: fetched.peak_buffered_bytes,
    removed,
  }
}

async function hashOnEventLoop(bytes: Uint8Array): Promise<string> {
  return blake3(bytes).toString('hex')
}

/** Each file's hash over the chunk hashes verified on disk, and its size, before the sentinel. */
async function assertFilesComplete(id: GameId, plan: DownloadPlan): Promise<void> {
  for (const {entry, diskPath, verified} of plan.files) {
    const complete = verified.every((hash) => hash !== undefined)
    const stat = await lstatOrNull(diskPath)
    if (complete && fileHashOf(verified) === entry.hash && stat?.isFile() && stat.size === entry.size) continue
    throw new LanspreadError('integrity', `game ${id}: ${diskPath} does not match its manifest hash after the download`, {
      hint: 'something else wrote to the game folder meanwhile: fetch the game again',
    })
  }
}

/** Every folder holding a payload file reaches the disk before the sentinel (the files did already). */
async function syncFolders(game: GamePaths, plan: DownloadPlan): Promise<void> {
  const folders = new Set<string>([game.root])
  for (const file of plan.files) {
    for (let dir = path.dirname(file.diskPath); dir.startsWith(game.root + path.sep); dir = path.dirname(dir)) folders.add(dir)
  }
  for (const folder of folders) {
    await fsyncPath(folder).catch((error: unknown) => {
      throw ioError('write', folder, error)
    })
  }
}

function throwIfAborted(signal: AbortSignal | undefined, id: GameId): void {
  if (!signal?.aborted) return
  throw new LanspreadError('interrupted', `the download of game ${id} was cancelled`, {hint: 'run the fetch again: it keeps the chunks already on disk'})
}
