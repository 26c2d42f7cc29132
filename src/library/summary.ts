// GameSummary (SPEC §2.4): what a peer tells others about one of its games. Built from the
// index entry, the catalog and whether an operation is running on the game. A game left
// mid-operation (needs_recovery) is never transferable: its payload may be half-written.
import type {Catalog} from './catalog.js'
import {fingerprintHasLocalDir, fingerprintHasSentinel} from './fingerprint-form.js'
import type {IndexedGame} from './index-format.js'
import type {Availability, GameSummary} from './schemas.js'

export type {Availability, GameSummary} from './schemas.js'

/** The kind of operation running on a game, as reported by the operation owner. */
export type ActiveOperation = 'download' | 'install' | 'update' | 'uninstall' | 'recover'

export function summarize(id: string, game: IndexedGame, catalog: Catalog, active: ActiveOperation | undefined): GameSummary {
  const downloaded = fingerprintHasSentinel(game.fingerprint)
  const listed = catalog.get(id)
  return {
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
}

function availability(transferable: boolean, downloaded: boolean, active: ActiveOperation | undefined): Availability {
  if (active === 'download') return 'downloading'
  if (transferable && downloaded && active === undefined) return 'ready'
  return 'local_only'
}
