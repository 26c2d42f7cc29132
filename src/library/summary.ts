// GameSummary (SPEC §2.4): what a peer tells others about one of its games. Built from the
// index entry, the catalog and whether an operation is running on the game. A game left
// mid-operation (needs_recovery) is never transferable: its payload may be half-written.
// A download in progress publishes its target (SPEC §5.1): the manifest_hash and content_hash
// it fetches, so peers fetching the same content can take the chunks it verified.
import type {Catalog} from './catalog.js'
import {fingerprintHasLocalDir, fingerprintHasSentinel} from './fingerprint-form.js'
import type {IndexedGame, LibraryIndex} from './index-format.js'
import type {GameId} from './layout.js'
import type {Availability, GameSummary} from './schemas.js'

export type {Availability, GameSummary} from './schemas.js'

/** The kind of operation running on a game, as reported by the operation owner. */
export type ActiveOperation = 'download' | 'install' | 'update' | 'uninstall' | 'recover'

/**
 * What a download in progress makes of a game (SPEC §5.1): its summary carries these instead
 * of the index's manifest_hash while it runs, so peers fetching the same content find it.
 */
export interface DownloadTarget {
  manifest_hash: string
  content_hash: string
}

/** Who knows which games have an operation running (the operation owner, later serve). */
export interface OperationStateReader {
  activeOperation(id: GameId): ActiveOperation | undefined
  /** The target of the download running on `id`, once its sources are chosen. */
  downloadTarget?(id: GameId): DownloadTarget | undefined
}

export function summarize(id: string, game: IndexedGame, catalog: Catalog, active: ActiveOperation | undefined, target?: DownloadTarget): GameSummary {
  const downloaded = fingerprintHasSentinel(game.fingerprint)
  const listed = catalog.get(id)
  const summary: GameSummary = {
    id,
    name: listed?.name ?? id,
    eti_version: downloaded ? game.eti_version : null,
    size: game.size,
    downloaded,
    installed: fingerprintHasLocalDir(game.fingerprint),
    manifest_hash: game.manifest_hash,
    availability: availability(listed !== undefined && !game.needs_recovery, downloaded, active),
    needs_recovery: game.needs_recovery,
  }
  if (active !== 'download' || target === undefined) return summary
  return {...summary, manifest_hash: target.manifest_hash, content_hash: target.content_hash}
}

function availability(transferable: boolean, downloaded: boolean, active: ActiveOperation | undefined): Availability {
  if (active === 'download') return 'downloading'
  if (transferable && downloaded && active === undefined) return 'ready'
  return 'local_only'
}

export function summarizeIndex(index: LibraryIndex, catalog: Catalog, operations: OperationStateReader | undefined): Map<GameId, GameSummary> {
  const summaries = new Map<GameId, GameSummary>()
  for (const id of Object.keys(index.games).sort()) {
    summaries.set(id, summarize(id, index.games[id]!, catalog, operations?.activeOperation(id), operations?.downloadTarget?.(id)))
  }
  return summaries
}

/**
 * The operations running on the index's games, which their summaries depend on (availability,
 * and a download's target), one word per game for the digest stamp.
 */
export function activeOperations(index: LibraryIndex, operations: OperationStateReader | undefined): Map<GameId, string> {
  const active = new Map<GameId, string>()
  if (!operations) return active
  for (const id of Object.keys(index.games)) {
    const kind = operations.activeOperation(id)
    if (kind === undefined) continue
    const target = kind === 'download' ? operations.downloadTarget?.(id) : undefined
    active.set(id, target ? `${kind}:${target.manifest_hash}:${target.content_hash}` : kind)
  }
  return active
}
