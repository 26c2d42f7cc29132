// Serving a game while this peer downloads it (SPEC §5.1): the download's manifest, and only
// the chunks it verified and wrote. The running downloads are the runtime's; serving sees them
// through PartialGames, so it never imports the downloader.
import {LanspreadError} from '../errors.js'
import {SENTINEL, SENTINEL_TMP} from '../library/layout.js'
import type {ActiveOperation, GameSummary} from '../library/summary.js'
import type {GameManifest, GetChunk} from '../protocol/messages.js'

/** One download in progress as the server sees it (the downloader's DownloadView is one). */
export interface PartialGame {
  /** The manifest being downloaded, with its content_hash. */
  readonly manifest: GameManifest
  /** True once the chunk of manifest path `path` at `offset` is verified and written to disk. */
  hasChunk(path: string, offset: number): boolean
  /** Where `path`'s bytes are, relative to the game root (POSIX): `path`, or .version.ini.tmp for version.ini. */
  diskPath(path: string): string
}

/** The downloads running on this peer, by game ID (the runtime implements it). */
export interface PartialGames {
  get(id: string): PartialGame | undefined
}

/**
 * The download to serve `id` from, when its summary says `downloading` with the download's own
 * manifest_hash and the download owns the game. Anything else is left to the rules of complete
 * games, which refuse a game under an operation. Decision record 0031:
 * - Not in this peer's catalog does not matter: the download brings the entry (SPEC §2.3), and
 *   a swarm of fetchers none of whose catalogs list a new game must still share it.
 * - needs_recovery does not matter either: recovery ran before the download began (a view
 *   exists only after it), so the marks a rescan finds now are the running download's own
 *   scratch (.version.ini.tmp), not an interrupted operation; and only verified chunks go out.
 */
export function servablePartial(
  id: string,
  summary: GameSummary | undefined,
  active: ActiveOperation | undefined,
  partials: PartialGames | undefined,
): PartialGame | undefined {
  if (!summary || summary.availability !== 'downloading' || active !== 'download') return undefined
  const partial = partials?.get(id)
  if (!partial || partial.manifest.id !== id || partial.manifest.manifest_hash !== summary.manifest_hash) return undefined
  return partial
}

/**
 * A chunk not verified here yet is `busy` (wire `busy`): not now from this peer, ask another
 * source or later. A stale manifest or a game not served stays `not_available`, a request
 * that names no whole chunk `bad_request`: the downloader tells "not yet" from "gone" and "bad".
 */
export function assertVerified(request: Pick<GetChunk, 'id' | 'path' | 'offset'>, partial: PartialGame): void {
  if (partial.hasChunk(request.path, request.offset)) return
  throw new LanspreadError('busy', `the chunk at ${request.offset} of ${request.path} of game ${request.id} is not verified here yet (download in progress)`, {
    hint: 'ask a source whose have-map lists it, or ask again later',
  })
}

/** The download's place for a manifest path's bytes, checked: the path itself, or the sentinel's scratch for the sentinel. */
export function partialDiskPath(partial: PartialGame, manifestPath: string): string | undefined {
  const onDisk = partial.diskPath(manifestPath)
  if (onDisk === manifestPath) return undefined
  if (manifestPath === SENTINEL && onDisk === SENTINEL_TMP) return onDisk
  throw new LanspreadError(
    'internal',
    `the download of game ${partial.manifest.id} puts ${manifestPath} at ${JSON.stringify(onDisk)}, not a place this peer serves from`,
  )
}
