// The names lanspread gives files at a game root, and which of them are never payload: the
// library walks around them and the wire refuses paths under them. Imports nothing.

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
export const RESERVED_ROOT_NAMES: ReadonlySet<string> = new Set([LOCAL_DIR, SENTINEL_TMP, SENTINEL_DISCARDED, INSTALLING_DIR, BACKUP_DIR, KEPT_DIR, INTENT_LOG])

/** True for a root-level name that manifests, sizes and serving must skip. */
export function isReservedName(name: string): boolean {
  // An atomic write (fs/atomic-write) writes `<name>.<pid>.<random>.tmp` beside its target before renaming.
  return RESERVED_ROOT_NAMES.has(name) || name.startsWith(`${INTENT_LOG}.`)
}
