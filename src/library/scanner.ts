// The scan (SPEC §2.2): list the top-level folders, read each one's fingerprint, reuse the
// cached entry where it is unchanged and walk only new or changed games. A warm scan costs
// one readdir and a few lstats per game folder.
import fs from 'node:fs/promises'
import {setImmediate} from 'node:timers/promises'
import {SCAN_CONCURRENCY, VERSION_INI_MAX_BYTES} from '../config.js'
import {errnoCode, ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {mapLimit} from '../util/map-limit.js'
import {type Fingerprint, fingerprintsEqual, readFingerprint} from './fingerprint.js'
import type {IndexedGame} from './index-store.js'
import {listGameFolders} from './games-folder.js'
import {type GameId, type GamePaths, gamePaths} from './layout.js'
import {manifestHash, manifestSize, readManifest} from './manifest.js'

/** How many fingerprints are read between two turns of the event loop. */
const FINGERPRINT_BATCH = 256

export interface ScanOptions {
  gamesDir: string
  /** What the index held before this scan. */
  previous: Readonly<Record<GameId, IndexedGame>>
  /** Walk every game even when its fingerprint is unchanged. */
  full?: boolean
  /** Look only at these games (an operation or watcher event); others keep their entries. */
  only?: readonly GameId[]
  /** Top-level names that belong to lanspread itself (state folder, catalog). */
  ownNames?: ReadonlySet<string>
}

export interface ScanReport {
  scanned: number
  reused: number
  rescanned: GameId[]
  ignored: string[]
  elapsed_ms: number
}

export interface ScanResult {
  games: Record<GameId, IndexedGame>
  report: ScanReport
}

export async function scanGames(options: ScanOptions): Promise<ScanResult> {
  const started = performance.now()
  const {ids, ignored} = options.only ? await presentAmong(options.gamesDir, options.only) : await listGameFolders(options.gamesDir, options.ownNames)
  const games: Record<GameId, IndexedGame> = options.only ? {...options.previous} : {}
  for (const id of options.only ?? []) delete games[id]
  const stale: {id: GameId; fingerprint: Fingerprint}[] = []
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!
    const fingerprint = readFingerprint(`${options.gamesDir}/${id}`)
    const cached = options.previous[id]
    if (!options.full && cached && fingerprintsEqual(cached.fingerprint, fingerprint)) games[id] = cached
    else stale.push({id, fingerprint})
    // Fingerprints are read synchronously: let timers and sockets run between batches.
    if (i % FINGERPRINT_BATCH === FINGERPRINT_BATCH - 1) await setImmediate()
  }
  const walked = await mapLimit(stale, SCAN_CONCURRENCY, ({id, fingerprint}) => indexGame(gamePaths(options.gamesDir, id), fingerprint, options.previous[id]))
  stale.forEach(({id}, i) => (games[id] = walked[i]!))
  const rescanned = stale.map(({id}) => id)
  return {
    games,
    report: {
      scanned: ids.length,
      reused: ids.length - rescanned.length,
      rescanned,
      ignored,
      elapsed_ms: Math.round(performance.now() - started),
    },
  }
}

/** Walks one game root: manifest, size, manifest_hash and eti_version. */
export async function indexGame(paths: GamePaths, fingerprint: Fingerprint, cached?: IndexedGame): Promise<IndexedGame> {
  const manifest = await readManifest(paths.root)
  return {
    fingerprint,
    eti_version: fingerprint.sentinel ? await readEtiVersion(paths.sentinel) : null,
    size: manifestSize(manifest),
    manifest,
    manifest_hash: manifestHash(manifest),
    // Entries still keyed by path+size+mtime stay valid; content-hashes checks each one.
    content_hashes: cached?.content_hashes ?? {},
  }
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

async function presentAmong(gamesDir: string, only: readonly GameId[]): Promise<{ids: GameId[]; ignored: string[]}> {
  const present = await Promise.all(only.map(async (id) => (await lstatOrNull(gamePaths(gamesDir, id).root))?.isDirectory() ?? false))
  return {ids: only.filter((_, i) => present[i]), ignored: []}
}
