// The shape of index.json (version 3: fingerprints and summary fields per game, plus
// library_rev, library_epoch, library_digest and the journal_id of index.log), a hand-written
// check of it, and the migration of older indexes (version 2: no journal; version 1: manifests
// inside, moved out to games/<id>.json). The zod schemas live in schemas.ts, loaded only to migrate.
import {type GameFile, gameFile} from './game-store.js'
import type {GameId} from './layout.js'
import {isLibraryEpoch} from './library-epoch.js'
import {encodeFingerprint, isFingerprint} from './fingerprint-form.js'
import type {FingerprintParts, IndexedGame, LibraryIndex, Mark} from './schemas.js'
import {INDEX_VERSION} from '../words/library-formats.js'

export {INDEX_VERSION} from '../words/library-formats.js'

export type {IndexedGame, LibraryIndex} from './schemas.js'

export type ParsedIndex =
  | {status: 'ok'; index: LibraryIndex}
  /** A version-2 index: current but for its journal_id; its index.log (if any) is not its own. */
  | {status: 'v2'; index: LibraryIndex}
  | {status: 'v1'; index: Omit<LibraryIndex, 'library_epoch'>; files: Map<GameId, GameFile>}
  | {status: 'invalid'; reason: string}

/**
 * Checks a parsed index.json. Version 2 is checked by hand: zod cost 2-6x JSON.parse on
 * a 5,000-game index in a fresh process (75-240 ms against 39-65 ms), and a warm scan
 * from a fresh process is little more than this load. LibraryIndexSchema stays the
 * definition of the shape, and a test holds the two to the same answers.
 */
export async function parseIndex(value: unknown): Promise<ParsedIndex> {
  if (!isObject(value)) return {status: 'invalid', reason: 'not a JSON object'}
  if (value.version === 1) return migrateV1(value)
  if (value.version === 2) return migrateV2(value)
  if (value.version !== INDEX_VERSION) return {status: 'invalid', reason: `unknown index version ${JSON.stringify(value.version)}`}
  const problem = indexProblem(value)
  return problem ? {status: 'invalid', reason: problem} : {status: 'ok', index: value as LibraryIndex}
}

/** The journal_id of an index that has no journal yet (migrated, or new): no record matches it. */
export const NO_JOURNAL = ''

async function migrateV1(value: Record<string, unknown>): Promise<ParsedIndex> {
  const {V1IndexSchema} = await import('./schemas.js')
  const parsed = V1IndexSchema.safeParse(value)
  if (!parsed.success) return {status: 'invalid', reason: `version 1 index: ${parsed.error.issues[0]?.message ?? 'invalid'}`}
  const games: Record<GameId, IndexedGame> = {}
  const files = new Map<GameId, GameFile>()
  for (const [id, old] of Object.entries(parsed.data.games)) {
    games[id] = {
      fingerprint: encodeFingerprint(old.fingerprint),
      marks: null,
      needs_recovery: false,
      eti_version: old.eti_version,
      size: old.size,
      manifest_hash: old.manifest_hash,
      file_count: old.manifest.files.length,
    }
    files.set(id, gameFile(old.manifest, old.content_hashes))
  }
  const {library_rev, library_digest} = parsed.data
  return {status: 'v1', index: {version: INDEX_VERSION, library_rev, library_digest, journal_id: NO_JOURNAL, games}, files}
}

/** Version 2 kept each fingerprint as an object: checked as such, then put in its string form. */
function migrateV2(value: Record<string, unknown>): ParsedIndex {
  if (!isObject(value.games)) return {status: 'invalid', reason: 'games: not an object'}
  const games: Record<GameId, IndexedGame> = {}
  for (const [id, game] of Object.entries(value.games)) {
    if (!isObject(game) || !isFingerprintParts(game.fingerprint)) return {status: 'invalid', reason: `games.${id}.fingerprint: invalid`}
    games[id] = {...(game as unknown as IndexedGame), fingerprint: encodeFingerprint(game.fingerprint)}
  }
  const index = {...value, version: INDEX_VERSION, journal_id: NO_JOURNAL, games}
  const problem = indexProblem(index)
  return problem ? {status: 'invalid', reason: problem} : {status: 'v2', index: index as LibraryIndex}
}

function indexProblem(value: Record<string, unknown>): string | undefined {
  if (!isLibraryEpoch(value.library_epoch)) return 'library_epoch: not a library epoch'
  if (!isCount(value.library_rev)) return 'library_rev: not a non-negative integer'
  if (value.library_digest !== null && typeof value.library_digest !== 'string') return 'library_digest: not a string or null'
  if (!isOptionalStamp(value.digest_stamp)) return 'digest_stamp: not a string or null'
  if (typeof value.journal_id !== 'string') return 'journal_id: not a string'
  if (!isObject(value.games)) return 'games: not an object'
  const games = value.games
  // Keys, not entries: a pair array per game is 5,000 allocations a `scan` never needed.
  for (const id of Object.keys(games)) {
    const problem = gameProblem(games[id])
    if (problem) return `games.${id}.${problem}`
  }
  return undefined
}

/** What is wrong with one game's entry (of the index or of a journal record), if anything. */
export function gameProblem(game: unknown): string | undefined {
  if (!isObject(game)) return 'not an object'
  if (!isFingerprint(game.fingerprint)) return 'fingerprint: invalid'
  if (game.marks !== null && !(Array.isArray(game.marks) && game.marks.every(isMark))) return 'marks: invalid'
  if (typeof game.needs_recovery !== 'boolean') return 'needs_recovery: not a boolean'
  if (game.eti_version !== null && typeof game.eti_version !== 'string') return 'eti_version: not a string or null'
  if (!isCount(game.size)) return 'size: not a non-negative integer'
  if (typeof game.manifest_hash !== 'string') return 'manifest_hash: not a string'
  if (!isCount(game.file_count)) return 'file_count: not a non-negative integer'
  return undefined
}

function isFingerprintParts(value: unknown): value is FingerprintParts {
  if (!isObject(value) || typeof value.local_dir !== 'boolean') return false
  if (value.sentinel !== null && !isStamp(value.sentinel)) return false
  return Array.isArray(value.archives) && value.archives.every((archive) => isStamp(archive) && typeof archive.name === 'string')
}

function isMark(value: unknown): value is Mark {
  return (
    isObject(value) && typeof value.name === 'string' && typeof value.dir === 'boolean' && typeof value.size === 'number' && typeof value.mtime_ms === 'number'
  )
}

function isStamp(value: unknown): value is Record<string, unknown> {
  return isObject(value) && isCount(value.size) && typeof value.mtime_ms === 'number' && Number.isFinite(value.mtime_ms)
}

/** digest_stamp: a string, null, or absent (written before it existed). */
export function isOptionalStamp(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string'
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
