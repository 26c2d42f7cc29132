// The scan (SPEC §2.2): list the top-level folders, read each one's fingerprint, reuse the
// cached entry where it is unchanged and walk only new or changed games. A warm scan costs
// one readdir and a few lstats per game folder. A game folder that cannot be read is
// reported as skipped and left out; the others are scanned as usual.
import fs from 'node:fs/promises'
import {setImmediate} from 'node:timers/promises'
import {SCAN_CONCURRENCY, VERSION_INI_MAX_BYTES} from '../config.js'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {type RootReading, compareCodeUnits, readFingerprint} from './fingerprint.js'
import {fingerprintHasSentinel} from './fingerprint-form.js'
import {type GameFile, gameFile, gameFilesEqual} from './game-store.js'
import type {IndexedGame} from './index-format.js'
import {listGameFolders} from './games-folder.js'
import {type GameId, type GamePaths, gamePaths} from './layout.js'
import type {Manifest} from './manifest.js'
import {marksEqual, needsRecovery} from './recovery-marks.js'
import {describeFailure} from './skipped.js'

/**
 * How long the fingerprint loop runs before it lets timers and sockets in (serve scans while
 * it serves). A slice, not a count of games: turning every 256 games cost a `scan` of 5,000
 * games ~17 ms of CPU in a fresh process (~0.8 ms a turn: V8 runs its pending tasks).
 */
const FINGERPRINT_SLICE_MS = 20

/** How a scan reads a game folder; tests pass one that fails for chosen games. */
export interface GameFolderReader {
  readRoot(root: string): RootReading
  readManifest(root: string): Promise<Manifest>
}

/** The walk (manifest.ts) is imported on first use: a warm scan that walks no game never loads it. */
export const diskReader: GameFolderReader = {
  readRoot: readFingerprint,
  readManifest: async (root) => (await import('./manifest.js')).readManifest(root),
}

export interface ScanOptions {
  gamesDir: string
  /** What the index held before this scan. */
  previous: Readonly<Record<GameId, IndexedGame>>
  /** The stored manifest and hashes of a game, for a game that is walked again. */
  loadGameFile(id: GameId): Promise<GameFile | undefined>
  reader?: GameFolderReader
  /** Walk every game even when its fingerprint is unchanged. */
  full?: boolean
  /** Look only at these games (an operation or watcher event); others keep their entries. */
  only?: readonly GameId[]
  /** Top-level names that belong to lanspread itself (state folder, catalog). */
  ownNames?: ReadonlySet<string>
}

export interface SkippedGame {
  id: GameId
  /** Why, in words: "permission denied". */
  reason: string
}

export interface ScanReport {
  scanned: number
  reused: number
  rescanned: GameId[]
  ignored: string[]
  skipped: SkippedGame[]
  elapsed_ms: number
}

export interface ScanResult {
  games: Record<GameId, IndexedGame>
  /** `games` holds the very entries of `previous`, no more, no fewer: nothing in the index moved. */
  sameEntries: boolean
  /** Game files that differ from the stored ones: the next save writes exactly these. */
  files: Map<GameId, GameFile>
  report: ScanReport
}

type Outcome = {id: GameId; entry: IndexedGame; file?: GameFile} | {id: GameId; skipped: string} | {id: GameId; vanished: true}

export async function scanGames(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now()
  const reader = options.reader ?? diskReader
  const {ids, ignored} = options.only ? await presentAmong(options.gamesDir, options.only) : await listGameFolders(options.gamesDir, options.ownNames)
  const games: Record<GameId, IndexedGame> = options.only ? {...options.previous} : {}
  for (const id of options.only ?? []) delete games[id]
  const stale: {id: GameId; reading: RootReading}[] = []
  const remarked: {id: GameId; reading: RootReading; cached: IndexedGame}[] = []
  const skipped: SkippedGame[] = []
  let unreadable = 0
  let reusedAsIs = 0
  let sliceStarted = performance.now()
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    const reading = readRootOrSkip(reader, `${options.gamesDir}/${id}`, id, skipped)
    const cached = options.previous[id]
    if (!reading) {
      unreadable++
      continue
    }
    if (options.full || !cached || cached.fingerprint !== reading.fingerprint) stale.push({id, reading})
    else if (!marksEqual(cached.marks, reading.marks)) remarked.push({id, reading, cached})
    else {
      games[id] = cached
      reusedAsIs++
    }
    // Fingerprints are read synchronously: let timers and sockets run between slices. The clock
    // is read every 8 games (a read costs ~0.25 µs in a fresh process), so a slow disk cannot
    // stretch a slice by more than 8 games' reads.
    if ((i & 7) === 7 && performance.now() - sliceStarted >= FINGERPRINT_SLICE_MS) {
      await setImmediate()
      sliceStarted = performance.now()
    }
  }
  const walks = [...stale, ...remarked]
  // A warm scan that walks nothing does not load the walk's modules.
  const outcomes: Outcome[] = walks.length === 0 ? [] : await walkGames(walks, options, reader)
  const files = new Map<GameId, GameFile>()
  for (const outcome of outcomes) {
    if ('skipped' in outcome) skipped.push({id: outcome.id, reason: outcome.skipped})
    else if ('vanished' in outcome) continue
    else {
      games[outcome.id] = outcome.entry
      if (outcome.file) files.set(outcome.id, outcome.file)
    }
  }
  const skippedIds = new Set(skipped.map((s) => s.id))
  const rescanned = stale.map(({id}) => id).filter((id) => !skippedIds.has(id) && id in games)
  return {
    games,
    sameEntries: walks.length === 0 && unreadable === 0 && reusedAsIs === countLooked(options),
    files,
    report: {
      scanned: ids.length,
      reused: ids.length - stale.length - unreadable,
      rescanned,
      ignored,
      skipped: skipped.sort((a, b) => compareCodeUnits(a.id, b.id)),
      elapsed_ms: Math.round(performance.now() - started),
    },
  }
}

/**
 * How many entries of `previous` this scan looked at: all of them, or those of `only`. The
 * entries it reused as they were are among these (one per game folder), so the same count
 * means every one of them was found unchanged.
 */
function countLooked({previous, only}: ScanOptions): number {
  return only ? new Set(only.filter((id) => Object.hasOwn(previous, id))).size : Object.keys(previous).length
}

type Walk = {id: GameId; reading: RootReading; cached?: IndexedGame}

/** Walks new and changed games (and re-reads the marks of remarked ones), a few at a time. */
async function walkGames(walks: Walk[], options: ScanOptions, reader: GameFolderReader): Promise<Outcome[]> {
  const {mapLimit} = await import('../util/map-limit.js')
  return mapLimit<Walk, Outcome>(walks, SCAN_CONCURRENCY, async (item) => {
    const paths = gamePaths(options.gamesDir, item.id)
    // Outside the try: a state folder that cannot be read is not this game's fault.
    const stored = item.cached ? undefined : await options.loadGameFile(item.id)
    try {
      if (item.cached)
        return {id: item.id, entry: {...item.cached, marks: item.reading.marks, needs_recovery: await needsRecovery(paths.root, item.reading.marks)}}
      return {id: item.id, ...(await indexGame(paths, item.reading, reader, stored))}
    } catch (error) {
      return vanished(error) ? {id: item.id, vanished: true} : {id: item.id, skipped: describeFailure(error)}
    }
  })
}

function readRootOrSkip(reader: GameFolderReader, root: string, id: GameId, skipped: SkippedGame[]): RootReading | undefined {
  try {
    return reader.readRoot(root)
  } catch (error) {
    // Removed between the listing and now: simply gone, not a failure.
    if (!vanished(error)) skipped.push({id, reason: describeFailure(error)})
    return undefined
  }
}

function vanished(error: unknown): boolean {
  return errnoCode(error instanceof LanspreadError ? error.cause : error) === 'ENOENT'
}

/**
 * Walks one game root: its index entry, and its game file when that differs from the
 * stored one. Stored hashes of paths still in the manifest are kept: they are keyed by
 * path, size and mtime, and content-hashes checks each one before use.
 */
export async function indexGame(
  paths: GamePaths,
  reading: RootReading,
  reader: GameFolderReader,
  stored: GameFile | undefined,
): Promise<{entry: IndexedGame; file?: GameFile}> {
  const manifest = await reader.readManifest(paths.root)
  const {manifestHash, manifestSize} = await import('./manifest.js')
  const hashes: GameFile['content_hashes'] = {}
  for (const file of manifest.files) {
    const cached = stored?.content_hashes[file.path]
    if (cached) hashes[file.path] = cached
  }
  const next = gameFile(manifest, hashes)
  const entry: IndexedGame = {
    fingerprint: reading.fingerprint,
    marks: reading.marks,
    needs_recovery: await needsRecovery(paths.root, reading.marks),
    eti_version: fingerprintHasSentinel(reading.fingerprint) ? await readEtiVersion(paths.sentinel) : null,
    size: manifestSize(manifest),
    manifest_hash: manifestHash(manifest),
    file_count: manifest.files.length,
  }
  return gameFilesEqual(stored, next) ? {entry} : {entry, file: next}
}

/** The trimmed text of version.ini (its first few KiB: it is a one-line sentinel). */
export async function readEtiVersion(sentinel: string): Promise<string | null> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(sentinel, 'r')
    const buffer = Buffer.alloc(VERSION_INI_MAX_BYTES)
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').trim()
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null
    throw ioError('read', sentinel, error)
  } finally {
    await handle?.close()
  }
}

/** The game folders among `only` that exist, each once (as a listing of the games folder would give them). */
async function presentAmong(gamesDir: string, only: readonly GameId[]): Promise<{ids: GameId[]; ignored: string[]}> {
  const unique = [...new Set(only)]
  const present = await Promise.all(unique.map(async (id) => (await lstatOrNull(gamePaths(gamesDir, id).root))?.isDirectory() ?? false))
  return {ids: unique.filter((_, i) => present[i]), ignored: []}
}
