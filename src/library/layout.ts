// The shape of a game folder: what a game ID is, and the names lanspread reserves at a
// game root. Every other module asks here instead of spelling a path itself.
import path from 'node:path'

export const GAME_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

import type {GameId} from './schemas.js'

export type {GameId} from './schemas.js'

export function isGameId(name: string): boolean {
  return GAME_ID_PATTERN.test(name)
}

export const SENTINEL = 'version.ini'
export const LOCAL_DIR = 'local'
export const SENTINEL_TMP = '.version.ini.tmp'
export const SENTINEL_DISCARDED = '.version.ini.discarded'
export const INSTALLING_DIR = '.local.installing'
export const BACKUP_DIR = '.local.backup'
/** What the user made in local/, set aside by uninstall until the next install brings it back. */
export const KEPT_DIR = '.lanspread-kept'
export const INTENT_LOG = '.lanspread.json'
export const OWNED_MARKER = '.lanspread_owned'
export const ARCHIVE_EXTENSION = '.eti'

/**
 * Root-level names that are never payload: the install, download scratch, staging,
 * backup, the user's kept files and the intent log (plus the intent log's own temp files, see isReservedName).
 */
export const RESERVED_ROOT_NAMES: ReadonlySet<string> = new Set([
  LOCAL_DIR,
  SENTINEL_TMP,
  SENTINEL_DISCARDED,
  INSTALLING_DIR,
  BACKUP_DIR,
  KEPT_DIR,
  INTENT_LOG,
])

/** True for a root-level name that manifests, sizes and serving must skip. */
export function isReservedName(name: string): boolean {
  // An atomic write (fs/atomic-write) writes `<name>.<pid>.<random>.tmp` beside its target before renaming.
  return RESERVED_ROOT_NAMES.has(name) || name.startsWith(`${INTENT_LOG}.`)
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
