// The shape of a game folder: what a game ID is, and the names lanspread reserves at a
// game root. Every other module asks here instead of spelling a path itself.
import path from 'node:path'
import {GAME_ID_PATTERN} from '../words/library-formats.js'
import {
  ARCHIVE_EXTENSION,
  BACKUP_DIR,
  INSTALLING_DIR,
  INTENT_LOG,
  KEPT_DIR,
  LOCAL_DIR,
  SENTINEL,
  SENTINEL_DISCARDED,
  SENTINEL_TMP,
} from '../words/game-folder-names.js'
import type {GameId} from './schemas.js'

export {GAME_ID_PATTERN} from '../words/library-formats.js'
export {
  SENTINEL,
  LOCAL_DIR,
  SENTINEL_TMP,
  SENTINEL_DISCARDED,
  INSTALLING_DIR,
  BACKUP_DIR,
  KEPT_DIR,
  INTENT_LOG,
  OWNED_MARKER,
  ARCHIVE_EXTENSION,
  RESERVED_ROOT_NAMES,
  isReservedName,
} from '../words/game-folder-names.js'
export type {GameId} from './schemas.js'

export function isGameId(name: string): boolean {
  return GAME_ID_PATTERN.test(name)
}

/** `<something>.eti`, the letters in any case. Compared in place: a warm scan asks this of every root entry of every game. */
export function isArchiveName(name: string): boolean {
  const start = name.length - ARCHIVE_EXTENSION.length
  if (start <= 0 || name[start] !== '.') return false
  for (let i = 1; i < ARCHIVE_EXTENSION.length; i++) {
    // | 0x20 lower-cases an ASCII capital and maps no other code unit onto a lower-case letter.
    if ((name.charCodeAt(start + i) | 0x20) !== ARCHIVE_EXTENSION.charCodeAt(i)) return false
  }
  return true
}

/** The paths of one game root. */
export interface GamePaths {
  id: GameId
  root: string
  sentinel: string
  local: string
  sentinelTmp: string
  sentinelDiscarded: string
  installing: string
  backup: string
  kept: string
  intentLog: string
}

export function gamePaths(gamesDir: string, id: GameId): GamePaths {
  const root = path.join(gamesDir, id)
  return {
    id,
    root,
    sentinel: path.join(root, SENTINEL),
    local: path.join(root, LOCAL_DIR),
    sentinelTmp: path.join(root, SENTINEL_TMP),
    sentinelDiscarded: path.join(root, SENTINEL_DISCARDED),
    installing: path.join(root, INSTALLING_DIR),
    backup: path.join(root, BACKUP_DIR),
    kept: path.join(root, KEPT_DIR),
    intentLog: path.join(root, INTENT_LOG),
  }
}
