// index.json and library-rev.json: loading (never writes: a dry run and a read-only state
// folder read the same way) and saving (temp, fsync, rename, fsync of the folder). What a
// load finds broken is repaired by the next save: a corrupt index is set aside, a bad or
// stale library-rev.json rewritten, a version-1 index migrated.
import fs from 'node:fs/promises'
import {errnoCode, ioError} from '../errors.js'
import {writeJsonDurably} from '../fs/atomic-write.js'
import {readQuickJsonFile} from '../fs/read-json.js'
import {lstatOrNull} from '../fs/stat.js'
import {type IndexedGame, INDEX_VERSION, type LibraryIndex, parseIndex} from './index-format.js'
import type {GameFile} from './game-store.js'
import type {GameId} from './layout.js'
import {type LibraryRevFile, type RevisionRecord, libraryRevFormat, settleRevision} from './library-epoch.js'

export {INDEX_VERSION, type IndexedGame, type LibraryIndex} from './index-format.js'

export interface IndexStorePaths {
  indexPath: string
  libraryRevPath: string
}

export interface LoadedIndex {
  index: LibraryIndex
  warnings: string[]
  /** Game files of a version-1 index: the next save writes them out. */
  migrated: Map<GameId, GameFile>
}

export function emptyIndex(libraryRev: number, libraryEpoch: string): LibraryIndex {
  return {version: INDEX_VERSION, library_epoch: libraryEpoch, library_rev: libraryRev, library_digest: null, games: {}}
}

/** What index.json held: a current or version-1 index, nothing, or something broken. */
interface IndexRead {
  status: 'ok' | 'v1' | 'missing' | 'corrupt'
  /** A version-1 index has no epoch. */
  index?: Omit<LibraryIndex, 'library_epoch'> & {library_epoch?: string}
  migrated?: Map<GameId, GameFile>
  reason?: string
  /** The revision still readable in a broken index. */
  salvaged?: RevisionRecord
}

export class IndexStore {
  /** Identity (inode, size, mtime) of index.json as this store last read or wrote it. */
  private lastSeen: string | undefined
  /** What the loaded files said, to tell whether a save must rewrite them. */
  private onDisk: {index: 'ok' | 'stale' | 'corrupt'; rev: LibraryRevFile | undefined} = {index: 'stale', rev: undefined}

  constructor(private readonly paths: IndexStorePaths) {}

  /** True when another process replaced index.json since this store last touched it. */
  async changedSinceLastSeen(): Promise<boolean> {
    return (await this.stamp()) !== this.lastSeen
  }

  /** True when the next save must write even if no game changed (a repair or a migration). */
  needsRepair(index: LibraryIndex): boolean {
    const rev = this.onDisk.rev
    return this.onDisk.index !== 'ok' || rev?.library_rev !== index.library_rev || rev.library_epoch !== index.library_epoch
  }

  async load(): Promise<LoadedIndex> {
    const warnings: string[] = []
    const revFile = await readQuickJsonFile(this.paths.libraryRevPath, libraryRevFormat)
    if (revFile.status === 'invalid') warnings.push(`${this.paths.libraryRevPath} was unreadable (${revFile.reason}); it is rewritten at the next scan`)
    this.lastSeen = await this.stamp()
    const read = await this.readIndex()
    if (read.status === 'corrupt') warnings.push(`index ${this.paths.indexPath} was unreadable (${read.reason}); the next scan moves it to ${this.paths.indexPath}.corrupt and rebuilds it from the game folders`)
    const records: RevisionRecord[] = []
    if (revFile.status === 'ok') records.push(revFile.value)
    if (read.index) records.push(read.index)
    if (read.salvaged) records.push(read.salvaged)
    const settled = settleRevision(records)
    // A new epoch is news only when something was there before (not a first start or a migration).
    const firstStart = revFile.status === 'missing' && read.status === 'missing'
    if (settled.fresh && !firstStart && read.status !== 'v1') {
      warnings.push(`library_rev could not be proven from ${this.paths.libraryRevPath} and ${this.paths.indexPath}: starting a new library_epoch, so peers take a full snapshot`)
    }
    const current = read.status === 'ok' && read.index?.library_epoch === settled.library_epoch
    this.onDisk = {index: read.status === 'corrupt' ? 'corrupt' : current ? 'ok' : 'stale', rev: revFile.status === 'ok' ? revFile.value : undefined}
    // A new epoch starts its own count: no digest, so its first scan publishes a revision.
    const digest = settled.fresh ? null : (read.index?.library_digest ?? null)
    const games: Record<GameId, IndexedGame> = read.index?.games ?? {}
    const index: LibraryIndex = {version: INDEX_VERSION, library_epoch: settled.library_epoch, library_rev: settled.library_rev, library_digest: digest, games}
    return {index, warnings, migrated: read.migrated ?? new Map()}
  }

  /** Writes library-rev.json first when it moved (it may be ahead of the index, never behind), then index.json. */
  async save(index: LibraryIndex): Promise<void> {
    if (this.onDisk.index === 'corrupt') await this.setAside()
    const rev = {library_rev: index.library_rev, library_epoch: index.library_epoch}
    if (this.onDisk.rev?.library_rev !== rev.library_rev || this.onDisk.rev.library_epoch !== rev.library_epoch) {
      await writeJsonDurably(this.paths.libraryRevPath, rev)
      this.onDisk.rev = rev
    }
    await writeJsonDurably(this.paths.indexPath, index)
    this.onDisk.index = 'ok'
    this.lastSeen = await this.stamp()
  }

  private async readIndex(): Promise<IndexRead> {
    let raw: string
    try {
      raw = await fs.readFile(this.paths.indexPath, 'utf8')
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return {status: 'missing'}
      throw ioError('read', this.paths.indexPath, error)
    }
    let json: unknown
    try {
      json = JSON.parse(raw)
    } catch (error) {
      return {status: 'corrupt', reason: `not valid JSON (${(error as Error).message})`}
    }
    const parsed = await parseIndex(json)
    if (parsed.status === 'ok') return {status: 'ok', index: parsed.index}
    if (parsed.status === 'v1') return {status: 'v1', index: parsed.index, migrated: parsed.files}
    return {status: 'corrupt', reason: parsed.reason, ...(await salvage(json))}
  }

  private async stamp(): Promise<string | undefined> {
    const stat = await lstatOrNull(this.paths.indexPath)
    return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : undefined
  }

  /** Keeps a corrupt index for inspection rather than overwriting it. */
  private async setAside(): Promise<void> {
    try {
      await fs.rename(this.paths.indexPath, `${this.paths.indexPath}.corrupt`)
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw ioError('move aside', this.paths.indexPath, error)
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
