// <state>/learned-catalog.json: the catalog entries (id, name) that came with the games this
// peer downloaded complete, so it offers them on even when its catalog.json lacks them (SPEC §2.3).
import path from 'node:path'
import {writeJsonDurably} from '../fs/atomic-write.js'
import {readQuickJsonFile} from '../fs/read-json.js'
import {type CatalogEntry, Catalog, catalogFormat} from './catalog.js'
import type {GameId} from './layout.js'

export const LEARNED_CATALOG_FILE_NAME = 'learned-catalog.json'

/** A peer's name for a game is shown, never trusted: longer ones are cut. */
export const LEARNED_NAME_MAX = 200

export function learnedCatalogPath(stateDir: string): string {
  return path.join(stateDir, LEARNED_CATALOG_FILE_NAME)
}

/**
 * The learned entries; a missing file is none. A broken one (it is ours, written atomically,
 * so only a hand edit breaks it) is none too, with a warning: the next download rewrites it.
 */
export async function loadLearnedCatalog(file: string, warn: (message: string) => void): Promise<CatalogEntry[]> {
  const result = await readQuickJsonFile(file, catalogFormat)
  if (result.status === 'ok') return result.value
  if (result.status === 'invalid') warn(`${file} is invalid (${result.reason}): fetched games not in the catalog are local_only until fetched again`)
  return []
}

export async function saveLearnedCatalog(file: string, entries: readonly CatalogEntry[]): Promise<void> {
  await writeJsonDurably(file, entries)
}

/** The entry a download brings: the source's name, bounded; the ID where it has none. */
export function learnedEntry(id: GameId, name: string | undefined): CatalogEntry {
  const bounded = (name ?? '').trim().slice(0, LEARNED_NAME_MAX)
  return {id, name: bounded.length > 0 ? bounded : id}
}

/** The learned entries with the user's catalog over them: the user's entry wins where both exist. */
export function mergedCatalog(user: readonly CatalogEntry[], learned: readonly CatalogEntry[]): Catalog {
  return new Catalog([...learned, ...user])
}

/** The learned list with `entry` in it, or undefined when it holds that very entry already. */
export function withLearned(learned: readonly CatalogEntry[], entry: CatalogEntry): CatalogEntry[] | undefined {
  const current = learned.find((e) => e.id === entry.id)
  if (current?.name === entry.name) return undefined
  return [...learned.filter((e) => e.id !== entry.id), {id: entry.id, name: entry.name}].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
