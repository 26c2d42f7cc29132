// index.log, the journal beside index.json (SPEC §2.2): one line of JSON per saved change,
// holding only the changed games' entries, the removed IDs and the new revision, so a change
// to one game writes O(that game). index.json is the checkpoint its records build on.
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {errnoCode, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import {gameProblem, isCount, isObject, isOptionalStamp} from './index-format.js'
import {isGameId} from './layout.js'
import {isLibraryEpoch} from './library-epoch.js'
import type {GameId} from './layout.js'
import type {IndexedGame, JournalRecord, LibraryIndex} from './schemas.js'

export type {JournalRecord} from './schemas.js'

const JOURNAL_ID_PATTERN = /^[0-9a-f]{16}$/

/** A new checkpoint's journal_id: records of an older checkpoint never match it. */
export function newJournalId(): string {
  return randomBytes(8).toString('hex')
}

export type JournalRead =
  | {status: 'missing'}
  /** `bytes`: the length of the whole records; `torn`: why a last record was left out. */
  | {status: 'ok'; records: JournalRecord[]; bytes: number; torn?: string}
  /** A broken record before the last one: not a crash mid-append, so nothing after it is trusted. */
  | {status: 'corrupt'; reason: string; records: JournalRecord[]}
  /** Not a regular file (a link or a folder planted there): never read, never written through. */
  | {status: 'foreign'; reason: string}

export async function readJournal(file: string): Promise<JournalRead> {
  const stat = await lstatOrNull(file)
  if (!stat) return {status: 'missing'}
  if (!stat.isFile()) return {status: 'foreign', reason: stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}
  let text: string
  try {
    // O_NOFOLLOW: a link planted after the lstat is refused, not read.
    const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {status: 'missing'}
    if (errnoCode(error) === 'ELOOP') return {status: 'foreign', reason: 'a symbolic link'}
    throw ioError('read', file, error)
  }
  return parseJournal(text)
}

/**
 * Splits the journal into records. Only the last record may be broken (a crash mid-append
 * leaves it cut short or garbled): it is left out. A broken record with records after it
 * means the file was damaged otherwise, and the caller rebuilds.
 */
export function parseJournal(text: string): JournalRead {
  const lines = text.split('\n')
  // The part after the last end of line: empty when the last append completed.
  const tail = lines.pop()!
  const records: JournalRecord[] = []
  let bytes = 0
  for (const [i, line] of lines.entries()) {
    const record = parseRecord(line)
    if (typeof record === 'string') {
      const where = `record ${i + 1} of ${lines.length}: ${record}`
      if (i === lines.length - 1 && tail === '') return {status: 'ok', records, bytes, torn: where}
      return {status: 'corrupt', reason: where, records}
    }
    records.push(record)
    bytes += Buffer.byteLength(line) + 1
  }
  return tail === ''
    ? {status: 'ok', records, bytes}
    : {status: 'ok', records, bytes, torn: `the last record is cut short (${Buffer.byteLength(tail)} bytes without an end of line)`}
}

/** A record, or what is wrong with the line. */
function parseRecord(line: string): JournalRecord | string {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`
  }
  if (!isObject(value)) return 'not a JSON object'
  if (typeof value.journal_id !== 'string' || !JOURNAL_ID_PATTERN.test(value.journal_id)) return 'journal_id: invalid'
  if (!isLibraryEpoch(value.library_epoch)) return 'library_epoch: not a library epoch'
  if (!isCount(value.library_rev)) return 'library_rev: not a non-negative integer'
  if (value.library_digest !== null && typeof value.library_digest !== 'string') return 'library_digest: not a string or null'
  if (!isOptionalStamp(value.digest_stamp)) return 'digest_stamp: not a string or null'
  if (!isObject(value.games)) return 'games: not an object'
  for (const [id, game] of Object.entries(value.games)) {
    if (!isGameId(id)) return `games: ${JSON.stringify(id)} is not a game ID`
    const problem = gameProblem(game)
    if (problem) return `games.${id}.${problem}`
  }
  if (!Array.isArray(value.removed) || !value.removed.every((id) => typeof id === 'string' && isGameId(id))) return 'removed: not a list of game IDs'
  return value as JournalRecord
}

export type Replayed = {status: 'ok'; index: LibraryIndex; skipped: number} | {status: 'corrupt'; reason: string}

/**
 * The checkpoint with its records applied in order. Records of another journal_id belong to
 * an older checkpoint that a compaction replaced (a crash before the old journal was removed):
 * the checkpoint already holds them, so they are skipped.
 */
export function replayJournal(checkpoint: LibraryIndex, records: readonly JournalRecord[]): Replayed {
  const games: Record<GameId, IndexedGame> = checkpoint.games
  let {library_rev, library_digest} = checkpoint
  let digestStamp = checkpoint.digest_stamp ?? null
  let skipped = 0
  let applied = 0
  for (const [i, record] of records.entries()) {
    if (record.journal_id !== checkpoint.journal_id) {
      if (applied > 0) return {status: 'corrupt', reason: `record ${i + 1} follows another index.json than the records before it`}
      skipped++
      continue
    }
    if (record.library_epoch !== checkpoint.library_epoch) return {status: 'corrupt', reason: `record ${i + 1} is of another library_epoch than index.json`}
    if (record.library_rev < library_rev)
      return {status: 'corrupt', reason: `record ${i + 1} moves library_rev back from ${library_rev} to ${record.library_rev}`}
    for (const [id, entry] of Object.entries(record.games)) games[id] = entry
    for (const id of record.removed) delete games[id]
    library_rev = record.library_rev
    library_digest = record.library_digest
    // A record without a stamp (an older build wrote it) leaves the digest's inputs unknown.
    digestStamp = record.digest_stamp ?? null
    applied++
  }
  return {status: 'ok', index: {...checkpoint, library_rev, library_digest, digest_stamp: digestStamp, games}, skipped}
}

/** One record's line: the entries of `after` that differ from `before`, and the IDs gone. */
export function journalLine(journalId: string, before: Readonly<Record<GameId, IndexedGame>>, after: LibraryIndex): string {
  const games: Record<GameId, IndexedGame> = {}
  for (const [id, entry] of Object.entries(after.games)) {
    const old = before[id]
    // Reused entries are the very same objects; only rebuilt ones are compared by value.
    if (entry !== old && (old === undefined || JSON.stringify(entry) !== JSON.stringify(old))) games[id] = entry
  }
  const removed = Object.keys(before).filter((id) => !(id in after.games))
  const {library_epoch, library_rev, library_digest} = after
  const record: JournalRecord = {journal_id: journalId, library_epoch, library_rev, library_digest, digest_stamp: after.digest_stamp ?? null, games, removed}
  return `${JSON.stringify(record)}\n`
}

/**
 * Appends one line and fsyncs it. The file is opened with O_NOFOLLOW: a link planted at its
 * name fails (ELOOP) instead of getting its target written. A new file's folder is fsynced too.
 */
export async function appendJournal(file: string, line: string): Promise<void> {
  let created = false
  try {
    const handle = await fs.open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644)
    try {
      created = (await handle.stat()).size === 0
      await handle.writeFile(line)
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (created) await fsyncPath(path.dirname(file))
  } catch (error) {
    throw ioError('append to', file, error)
  }
}

/** Removes the journal (a link there is removed, never followed) once a checkpoint holds it all. */
export async function removeJournal(file: string): Promise<void> {
  try {
    await fs.rm(file, {force: true})
    await fsyncPath(path.dirname(file))
  } catch (error) {
    throw ioError('remove', file, error)
  }
}
