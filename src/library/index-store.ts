// index.json (the checkpoint), index.log (its journal) and library-rev.json: loading (never
// writes: a dry run and a read-only state folder read the same way) and saving (a journal
// record for a change, a new checkpoint when the journal has grown or a repair needs one).
// What a load finds broken is repaired by the next save: a corrupt index or journal is set
// aside, a bad or stale library-rev.json rewritten, an older index migrated.
import fs from 'node:fs/promises'
import path from 'node:path'
import {errnoCode, ioError, isLanspreadError} from '../errors.js'
import {readQuickJsonFile} from '../fs/read-json.js'
import {renameWithRetry} from '../fs/rename-retry.js'
import {lstatOrNull} from '../fs/stat.js'
import {type IndexedGame, INDEX_VERSION, type LibraryIndex, NO_JOURNAL, parseIndex} from './index-format.js'
import {appendJournal, journalLine, newJournalId, readJournal, removeJournal, replayJournal} from './index-journal.js'
import type {GameFile} from './game-store.js'
import type {GameId} from './layout.js'
import {type LibraryRevFile, type RevisionRecord, libraryRevFormat, settleRevision} from './library-epoch.js'
import {type IndexFailpoint, failpoint} from '../util/failpoints.js'

export {INDEX_VERSION, type IndexedGame, type LibraryIndex} from './index-format.js'

export interface IndexStorePaths {
  indexPath: string
  libraryRevPath: string
}

/** Steps of a save where a crash test kills the process: part of the one list in src/util/failpoints.ts. */
export {INDEX_FAILPOINTS, type IndexFailpoint} from '../util/failpoints.js'

export interface IndexStoreOptions {
  /** The journal size (bytes) past which a save writes a new checkpoint, given the checkpoint's size. */
  compactAt?: (checkpointBytes: number) => number
  /** Called after each step of a save; by default kills the process when LANSPREAD_FAILPOINT names the step. */
  failpoint?: (step: IndexFailpoint) => void
}

/**
 * A quarter of the checkpoint (so the writes of many one-game changes stay within a small
 * multiple of the journal itself) and at least 64 KiB (so a small library does not rewrite
 * index.json at every change, and a replay stays a few milliseconds).
 */
export function defaultCompactAt(checkpointBytes: number): number {
  return Math.max(checkpointBytes / 4, 64 * 1024)
}

export interface LoadedIndex {
  index: LibraryIndex
  warnings: string[]
  /** Game files of a version-1 index: the next save writes them out. */
  migrated: Map<GameId, GameFile>
}

export function emptyIndex(libraryRev: number, libraryEpoch: string): LibraryIndex {
  return {version: INDEX_VERSION, library_epoch: libraryEpoch, library_rev: libraryRev, library_digest: null, journal_id: NO_JOURNAL, games: {}}
}

/** What index.json and index.log held: a current or older index, nothing, or something broken. */
interface IndexRead {
  status: 'ok' | 'v2' | 'v1' | 'missing' | 'corrupt'
  /** A version-1 index has no epoch. */
  index?: Omit<LibraryIndex, 'library_epoch'> & {library_epoch?: string}
  migrated?: Map<GameId, GameFile>
  /** What is broken, and which file: index.json, or index.log past the checkpoint. */
  reason?: string
  culprit?: 'index' | 'journal'
  /** The revision still readable in a broken index or journal. */
  salvaged?: RevisionRecord
  /** index.json's size, for the compaction threshold. */
  checkpointBytes?: number
  journal?: JournalState
}

/** What index.log holds beyond the records that build on the checkpoint. */
interface JournalState {
  bytes: number
  /** Why the next save must write a checkpoint and remove the journal, if it must. */
  dirty?: string
}

/** What the files on disk say, to tell whether and how a save must rewrite them. */
interface OnDisk {
  index: 'ok' | 'stale' | 'corrupt'
  rev: LibraryRevFile | undefined
  /** The games as index.json plus index.log hold them: a record carries only those that differ. */
  games: Readonly<Record<GameId, IndexedGame>>
  journalId: string
  checkpointBytes: number
  journal: JournalState
}

export class IndexStore {
  /** Identity (inode, size, mtime) of index.json and index.log as this store last read or wrote them. */
  private lastSeen: string | undefined
  private onDisk: OnDisk = {index: 'stale', rev: undefined, games: {}, journalId: NO_JOURNAL, checkpointBytes: 0, journal: {bytes: 0}}
  readonly journalPath: string
  private readonly compactAt: (checkpointBytes: number) => number
  private readonly failpoint: (step: IndexFailpoint) => void

  constructor(
    private readonly paths: IndexStorePaths,
    options: IndexStoreOptions = {},
  ) {
    this.journalPath = path.join(path.dirname(paths.indexPath), 'index.log')
    this.compactAt = options.compactAt ?? defaultCompactAt
    this.failpoint = options.failpoint ?? failpoint
  }

  /** True when another process saved (a new index.json, or a record appended) since this store last touched them. */
  async changedSinceLastSeen(): Promise<boolean> {
    return (await this.stamp()) !== this.lastSeen
  }

  /** True when the next save must write even if no game changed (a repair or a migration). */
  needsRepair(index: LibraryIndex): boolean {
    const rev = this.onDisk.rev
    if (this.onDisk.index !== 'ok' || this.onDisk.journal.dirty !== undefined) return true
    return rev?.library_rev !== index.library_rev || rev.library_epoch !== index.library_epoch
  }

  async load(): Promise<LoadedIndex> {
    const warnings: string[] = []
    const revFile = await readQuickJsonFile(this.paths.libraryRevPath, libraryRevFormat)
    if (revFile.status === 'invalid') warnings.push(`${this.paths.libraryRevPath} was unreadable (${revFile.reason}); it is rewritten at the next scan`)
    this.lastSeen = await this.stamp()
    const read = await this.readIndex()
    if (read.status === 'corrupt') warnings.push(this.corruptWarning(read))
    if (read.journal?.dirty) warnings.push(`journal ${this.journalPath}: ${read.journal.dirty}; the next scan rewrites ${this.paths.indexPath} and removes it`)
    const records: RevisionRecord[] = []
    if (revFile.status === 'ok') records.push(revFile.value)
    if (read.index) records.push(read.index)
    if (read.salvaged) records.push(read.salvaged)
    const settled = settleRevision(records)
    // A new epoch is news only when something was there before (not a first start or a migration).
    const firstStart = revFile.status === 'missing' && read.status === 'missing'
    if (settled.fresh && !firstStart && read.status !== 'v1') {
      warnings.push(
        `library_rev could not be proven from ${this.paths.libraryRevPath} and ${this.paths.indexPath}: starting a new library_epoch, so peers take a full snapshot`,
      )
    }
    const current = read.status === 'ok' && read.index?.library_epoch === settled.library_epoch
    // A new epoch starts its own count: no digest, so its first scan publishes a revision.
    const digest = settled.fresh ? null : (read.index?.library_digest ?? null)
    const digestStamp = settled.fresh ? null : (read.index?.digest_stamp ?? null)
    const games: Record<GameId, IndexedGame> = read.index?.games ?? {}
    const journalId = current ? read.index!.journal_id : NO_JOURNAL
    const index: LibraryIndex = {
      version: INDEX_VERSION,
      library_epoch: settled.library_epoch,
      library_rev: settled.library_rev,
      library_digest: digest,
      digest_stamp: digestStamp,
      journal_id: journalId,
      games,
    }
    this.onDisk = {
      index: read.status === 'corrupt' ? 'corrupt' : current ? 'ok' : 'stale',
      rev: revFile.status === 'ok' ? revFile.value : undefined,
      games,
      journalId,
      checkpointBytes: read.checkpointBytes ?? 0,
      journal: read.journal ?? {bytes: 0},
    }
    return {index, warnings, migrated: read.migrated ?? new Map()}
  }

  /**
   * Writes library-rev.json first when it moved (it may be ahead of the index, never behind),
   * then one journal record of what changed, or a new checkpoint when the journal has grown
   * past its share or the files on disk need a repair.
   */
  async save(index: LibraryIndex): Promise<void> {
    // Imported here: the write path is not loaded by a scan that writes nothing.
    const {writeFileDurably} = await import('../fs/atomic-write.js')
    if (this.onDisk.index === 'corrupt') await this.setAside()
    const rev = {library_rev: index.library_rev, library_epoch: index.library_epoch}
    if (this.onDisk.rev?.library_rev !== rev.library_rev || this.onDisk.rev.library_epoch !== rev.library_epoch) {
      await writeFileDurably(this.paths.libraryRevPath, `${JSON.stringify(rev)}\n`)
      this.onDisk.rev = rev
      this.failpoint('index.rev-written')
    }
    const appendable = this.onDisk.index === 'ok' && this.onDisk.journal.dirty === undefined
    const line = appendable ? journalLine(this.onDisk.journalId, this.onDisk.games, index) : undefined
    const bytes = line === undefined ? 0 : Buffer.byteLength(line)
    if (line !== undefined && this.onDisk.journal.bytes + bytes <= this.compactAt(this.onDisk.checkpointBytes) && (await this.append(line))) {
      index.journal_id = this.onDisk.journalId
      this.onDisk.journal.bytes += bytes
    } else {
      await this.compact(index)
    }
    this.onDisk.index = 'ok'
    this.onDisk.games = index.games
    this.lastSeen = await this.stamp()
  }

  /** Appends a record; false when a link was planted at index.log meanwhile (then the caller compacts). */
  private async append(line: string): Promise<boolean> {
    try {
      await appendJournal(this.journalPath, line)
    } catch (error) {
      if (isLanspreadError(error) && errnoCode(error.cause) === 'ELOOP') return false
      throw error
    }
    this.failpoint('index.journal-appended')
    return true
  }

  /**
   * A new checkpoint under a new journal_id, then the journal removed. A crash in between
   * leaves records of the old journal_id, which a load skips: the checkpoint holds them.
   */
  private async compact(index: LibraryIndex): Promise<void> {
    const {writeFileDurably} = await import('../fs/atomic-write.js')
    index.journal_id = newJournalId()
    const data = `${JSON.stringify(index)}\n`
    await writeFileDurably(this.paths.indexPath, data)
    this.failpoint('index.checkpoint-written')
    await removeJournal(this.journalPath)
    this.failpoint('index.journal-removed')
    this.onDisk.journalId = index.journal_id
    this.onDisk.checkpointBytes = Buffer.byteLength(data)
    this.onDisk.journal = {bytes: 0}
  }

  private async readIndex(): Promise<IndexRead> {
    // Read as bytes, decoded once: a 'utf8' readFile decodes chunk by chunk through a
    // StringDecoder, and the byte count is then free.
    let bytes: Buffer
    try {
      bytes = await fs.readFile(this.paths.indexPath)
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return {status: 'missing'}
      throw ioError('read', this.paths.indexPath, error)
    }
    let json: unknown
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch (error) {
      return {status: 'corrupt', culprit: 'index', reason: `not valid JSON (${(error as Error).message})`}
    }
    const parsed = await parseIndex(json)
    const checkpointBytes = bytes.length
    // The journal of an older or broken checkpoint is not its own: the next save compacts and removes it.
    if (parsed.status === 'v2') return {status: 'v2', index: parsed.index, checkpointBytes}
    if (parsed.status === 'v1') return {status: 'v1', index: parsed.index, migrated: parsed.files, checkpointBytes}
    if (parsed.status === 'invalid') return {status: 'corrupt', culprit: 'index', reason: parsed.reason, ...(await salvage(json))}
    return {...(await this.replay(parsed.index)), checkpointBytes}
  }

  /** The checkpoint with the journal's records applied; a journal broken before its last record counts as a corrupt index. */
  private async replay(checkpoint: LibraryIndex): Promise<IndexRead> {
    const journal = await readJournal(this.journalPath)
    if (journal.status === 'missing') return {status: 'ok', index: checkpoint, journal: {bytes: 0}}
    if (journal.status === 'foreign')
      return {status: 'ok', index: checkpoint, journal: {bytes: 0, dirty: `${journal.reason}, not lanspread's journal; ignored`}}
    const salvaged = {library_rev: Math.max(checkpoint.library_rev, ...journal.records.map((r) => r.library_rev)), library_epoch: checkpoint.library_epoch}
    if (journal.status === 'corrupt') return {status: 'corrupt', culprit: 'journal', reason: journal.reason, salvaged}
    const replayed = replayJournal(checkpoint, journal.records)
    if (replayed.status === 'corrupt') return {status: 'corrupt', culprit: 'journal', reason: replayed.reason, salvaged}
    const dirty = journal.torn
      ? `${journal.torn} (a save cut short), so it is ignored`
      : replayed.skipped > 0
        ? `${replayed.skipped} records of an earlier index.json are left (a compaction cut short)`
        : undefined
    // Skipped records are already in the checkpoint: no warning, but the next save cleans them up.
    return {status: 'ok', index: replayed.index, journal: {bytes: journal.bytes, ...(dirty ? {dirty} : {})}}
  }

  private corruptWarning(read: IndexRead): string {
    if (read.culprit === 'journal') {
      return `journal ${this.journalPath} is damaged (${read.reason}); the next scan moves it and ${this.paths.indexPath} aside (*.corrupt) and rebuilds the index from the game folders`
    }
    return `index ${this.paths.indexPath} was unreadable (${read.reason}); the next scan moves it to ${this.paths.indexPath}.corrupt and rebuilds it from the game folders`
  }

  private async stamp(): Promise<string> {
    const stamps = await Promise.all(
      [this.paths.indexPath, this.journalPath].map(async (file) => {
        const stat = await lstatOrNull(file)
        return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : '-'
      }),
    )
    return stamps.join('|')
  }

  /** Keeps a corrupt index and its journal for inspection rather than overwriting them. */
  private async setAside(): Promise<void> {
    for (const file of [this.paths.indexPath, this.journalPath]) {
      try {
        await renameWithRetry(file, `${file}.corrupt`)
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw ioError('move aside', file, error)
      }
    }
  }
}

/** The revision of an index that no longer matches the schema but is still JSON. */
async function salvage(json: unknown): Promise<{salvaged?: RevisionRecord}> {
  const {LibraryRevFileSchema} = await import('./schemas.js')
  const parsed = LibraryRevFileSchema.safeParse(json)
  if (parsed.success) return {salvaged: parsed.data}
  const revOnly = LibraryRevFileSchema.pick({library_rev: true}).safeParse(json)
  return revOnly.success ? {salvaged: revOnly.data} : {}
}
