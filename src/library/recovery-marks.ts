// What at a game root shows an interrupted operation (SPEC §3): an intent log, the staging
// or backup folder, download scratch. Stamped from the fingerprint's own readdir, so a warm
// scan reads the intent log only when its size or mtime changed.
import fs from 'node:fs/promises'
import {lstatOrNull, lstatOrNullSync} from '../fs/stat.js'
import {BACKUP_DIR, INSTALLING_DIR, INTENT_LOG, OWNED_MARKER, SENTINEL_DISCARDED, SENTINEL_TMP} from './layout.js'
import type {Mark} from './schemas.js'

/** Root-level names whose presence (or content, for the intent log) recovery acts on. */
const MARK_NAMES: ReadonlySet<string> = new Set([INTENT_LOG, INSTALLING_DIR, BACKUP_DIR, SENTINEL_TMP, SENTINEL_DISCARDED])

export type {Mark} from './schemas.js'

/** Every mark name starts with a dot: asked of every root entry of every game, most answer at the first character. */
export function isMarkName(name: string): boolean {
  return name.charCodeAt(0) === DOT && MARK_NAMES.has(name)
}

const DOT = 0x2e

/** The stamp of one root entry named like a mark; undefined when it vanished meanwhile. */
export function stampMark(root: string, name: string): Mark | undefined {
  const stat = lstatOrNullSync(`${root}/${name}`)
  return stat ? {name, dir: stat.isDirectory(), size: stat.size, mtime_ms: stat.mtimeMs} : undefined
}

/** `previous` null: never read (an entry from an older index), so never equal. */
export function marksEqual(previous: readonly Mark[] | null, current: readonly Mark[]): boolean {
  if (previous === null || previous.length !== current.length) return false
  return previous.every((mark, i) => {
    const other = current[i]!
    return mark.name === other.name && mark.dir === other.dir && mark.size === other.size && mark.mtime_ms === other.mtime_ms
  })
}

/**
 * True when `lanspread recover` would change this game: an intent other than None (or an
 * unreadable log), download scratch, or a staging/backup folder holding our marker. A
 * reserved folder without the marker and without an intent is the user's (SPEC §3).
 */
export async function needsRecovery(root: string, marks: readonly Mark[]): Promise<boolean> {
  for (const mark of marks) {
    if (mark.name === SENTINEL_TMP || mark.name === SENTINEL_DISCARDED) return true
    if (mark.name === INTENT_LOG && (await intentPending(`${root}/${INTENT_LOG}`))) return true
    if (mark.dir && (await lstatOrNull(`${root}/${mark.name}/${OWNED_MARKER}`))?.isFile()) return true
  }
  return false
}

/** A loose read: recovery (ops/) owns the log's schema; here only "None or not" matters. */
async function intentPending(file: string): Promise<boolean> {
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch {
    return true // present but unreadable: recover would rewrite it
  }
  try {
    const parsed: unknown = JSON.parse(raw)
    return !(typeof parsed === 'object' && parsed !== null && (parsed as {intent?: unknown}).intent === 'None')
  } catch {
    return true
  }
}
