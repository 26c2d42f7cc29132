// The local library: the one owner of the index in a process. It refreshes the index from
// the game folders, publishes summaries with library_epoch, library_rev and library_digest,
// computes content hashes on demand, and emits `changed` (a delta) after each revision.
// It writes only what changed: nothing for a no-op scan or a read of an unchanged game.
import {EventEmitter} from 'node:events'
import path from 'node:path'
import type {LanspreadPaths} from '../config.js'
import {LanspreadError} from '../errors.js'
import {SerialLock} from '../util/serial-lock.js'
import type {PidLock} from '../fs/pid-lock.js'
import {type Catalog, type CatalogEntry} from './catalog.js'
import {type Catalogs, readCatalogs} from './catalogs.js'
import type {ContentHashCache} from './content-hashes.js'
import {type GameFile, GameStore, gameFile, gameFilesEqual} from './game-store.js'
import {assertGamesDir} from './games-folder.js'
import {type IndexedGame, IndexStore, type IndexStoreOptions, type LibraryIndex} from './index-store.js'
import type {GameId} from './layout.js'
import {learnedCatalogPath, loadLearnedCatalog, mergedCatalog, saveLearnedCatalog, withLearned} from './learned-catalog.js'
import {isStateNotWritable, notWritableReason, stateNotWritable} from './state-not-writable.js'
import {type LibraryDelta, diffSummaries} from './library-delta.js'
import {type RevisionStep, digestStamp, libraryDigest, nextRevision} from './library-revision.js'
import type {Manifest} from './manifest.js'
import {type GameFolderReader, type ScanReport, scanGames} from './scanner.js'
import {type GameSummary, type OperationStateReader, activeOperations, summarizeIndex} from './summary.js'

export interface Logger {
  warn(message: string): void
}

export interface LibraryComponents {
  logger?: Logger
  operations?: OperationStateReader
  /** Never write anything (no lock, no state folder, no repair): `recover --dry-run`. */
  readOnly?: boolean
  /** How game folders are read; tests inject failures. */
  reader?: GameFolderReader
  /** When index.json is rewritten, and crash points inside a save; tests inject both. */
  indexStore?: IndexStoreOptions
}

export type {LibraryDelta} from './library-delta.js'
export type {OperationStateReader} from './summary.js'

export interface LibrarySnapshot {
  library_epoch: string
  library_rev: number
  library_digest: string
  games: GameSummary[]
}

export interface RefreshOptions {
  full?: boolean
  only?: readonly GameId[]
  /**
   * When the state folder cannot be written, keep the refreshed library in memory with a
   * warning (`library`) instead of failing (`scan`, whose job is to save the index).
   */
  inMemoryIfReadOnly?: boolean
}

export interface RefreshResult extends LibrarySnapshot {
  report: ScanReport
  /** Set when this refresh moved library_rev. */
  delta?: LibraryDelta
}

export interface GameContent {
  manifest: Manifest
  manifest_hash: string
  content_hashes: ContentHashCache
  /** Paths whose bytes were read this time. */
  hashed: string[]
}

/** A next state of the index, computed without writing; saved only when needsWrite. */
interface Plan {
  index: LibraryIndex
  summaries: Map<GameId, GameSummary>
  step: RevisionStep
  /** Game files to write (changed, migrated, or not saved before). */
  files: Map<GameId, GameFile>
  /** Games whose files go with them. */
  removed: GameId[]
  needsWrite: boolean
  report: ScanReport
}

/** How long a scan waits for another process's scan of the same index. */
const INDEX_LOCK_WAIT_MS = 30_000

export class Library extends EventEmitter<{changed: [LibraryDelta]}> {
  /** Built on first use: a refresh builds its own, so a fresh process summarizes once. */
  private summaryCache: Map<GameId, GameSummary> | undefined
  private readonly games: GameStore
  /** Refreshes of one library run one at a time: two plans built on one index would both claim the next revision. */
  /** Refreshes, and the catalog swaps between them, run one at a time. */
  private readonly refreshing = new SerialLock()
  /** Game files not on disk yet: migrated from a version-1 index, or kept in memory only. */
  private unsaved: Map<GameId, GameFile>
  /** The catalog is the user's catalog.json over the entries learned with downloads. */
  private catalog: Catalog

  private constructor(
    readonly paths: LanspreadPaths,
    private catalogs: Catalogs,
    private readonly store: IndexStore,
    private index: LibraryIndex,
    migrated: Map<GameId, GameFile>,
    private readonly components: LibraryComponents,
  ) {
    super()
    this.games = new GameStore(paths.gameFilesDir)
    this.unsaved = migrated
    this.catalog = mergedCatalog(catalogs.user ?? [], catalogs.learned)
  }

  static async open(paths: LanspreadPaths, components: LibraryComponents = {}): Promise<Library> {
    await assertGamesDir(paths.gamesDir)
    const logger = components.logger ?? stderrLogger
    const catalogs = await readCatalogs(paths, logger, undefined)
    const store = new IndexStore(paths, components.indexStore)
    const {index, warnings, migrated} = await store.load()
    for (const warning of warnings) logger.warn(warning)
    return new Library(paths, catalogs, store, index, migrated, components)
  }

  get libraryRev(): number {
    return this.index.library_rev
  }

  get libraryEpoch(): string {
    return this.index.library_epoch
  }

  snapshot(): LibrarySnapshot {
    const {library_epoch, library_rev, library_digest} = this.index
    return {library_epoch, library_rev, library_digest: library_digest ?? libraryDigest([]), games: [...this.summaries.values()]}
  }

  summary(id: GameId): GameSummary | undefined {
    return this.summaries.get(id)
  }

  indexedGame(id: GameId): IndexedGame | undefined {
    return this.index.games[id]
  }

  /** The stored manifest and content hashes of a game (games/<id>.json, or not saved yet). */
  async storedGame(id: GameId): Promise<GameFile | undefined> {
    // Also for a game not in the index: a game skipped once keeps its file for its return.
    return this.unsaved.get(id) ?? this.games.load(id)
  }

  /** Scans (warm, full or per ID), bumps library_rev once if any summary changed, saves what changed. */
  async refresh(options: RefreshOptions = {}): Promise<RefreshResult> {
    return this.refreshing.withF(() => this.refreshNow(options))
  }

  /** Reads the catalog again (serve watches it) and refreshes: names and transferability may change. */
  async reloadCatalog(): Promise<RefreshResult> {
    const catalogs = await readCatalogs(this.paths, this.logger, this.catalogs)
    return this.refreshing.withF(() => this.swapCatalogs(catalogs)).then(() => this.refresh())
  }

  /**
   * Keeps the catalog entry a download brought (SPEC §2.3), before its sentinel is published,
   * so the rescan that ends the download finds the game transferable. Only the downloader
   * calls it, for a game downloaded complete: a peer cannot make the file grow otherwise.
   */
  async learn(entry: CatalogEntry): Promise<void> {
    if (this.components.readOnly) return
    const file = learnedCatalogPath(this.paths.stateDir)
    const save = async (): Promise<CatalogEntry[]> => {
      // Another process (a one-shot fetch) may have learned meanwhile: add to its list.
      const learned = await loadLearnedCatalog(file, (m) => this.logger.warn(m))
      const next = withLearned(learned, entry)
      if (next) await saveLearnedCatalog(file, next)
      return next ?? learned
    }
    let learned: CatalogEntry[]
    try {
      learned = await this.withIndexLock('learn', save)
    } catch (error) {
      if (!isStateNotWritable(error)) throw error
      this.warnNotWritable(error, `the catalog entry of ${entry.id} is kept in memory only`)
      learned = withLearned(this.catalogs.learned, entry) ?? [...this.catalogs.learned]
    }
    await this.refreshing.withF(() => this.swapCatalogs({...this.catalogs, learned}))
  }

  private swapCatalogs(catalogs: Catalogs): void {
    // The delta compares against the summaries under the old catalog: build them before the swap.
    this.summaryCache ??= summarizeIndex(this.index, this.catalog, this.components.operations)
    this.catalogs = catalogs
    this.catalog = mergedCatalog(catalogs.user ?? [], catalogs.learned)
  }

  private async refreshNow(options: RefreshOptions): Promise<RefreshResult> {
    // Checked before the state folder (by default inside it) would be created.
    await assertGamesDir(this.paths.gamesDir)
    if (!this.components.readOnly) await this.reloadIfChangedElsewhere()
    const plan = await this.plan(options)
    if (!plan.needsWrite || this.components.readOnly) return this.install(plan, false)
    try {
      return await this.withIndexLock('scan', async () => {
        // Another process saved meanwhile: build on its index, not on ours.
        const current = (await this.reloadIfChangedElsewhere()) ? await this.plan(options) : plan
        if (current.needsWrite) await this.persist(current)
        return this.install(current, true)
      })
    } catch (error) {
      if (!isStateNotWritable(error)) throw error
      if (!options.inMemoryIfReadOnly) throw stateNotWritable(this.paths.stateDir, error)
      this.warnNotWritable(error, 'showing the library from a scan in memory, nothing was saved')
      return this.install(plan, false)
    }
  }

  /**
   * The manifest of a game with the content hash of every file and chunk, hashing only
   * files whose size or mtime changed since they were last hashed. Writes only that
   * game's file, and only when a hash was computed or dropped.
   */
  async content(id: GameId): Promise<GameContent> {
    await this.refresh({only: [id], full: true, inMemoryIfReadOnly: true})
    const entry = this.index.games[id]
    if (!entry)
      throw new LanspreadError('not_found', `game ${id} is not in ${this.paths.gamesDir}`, {hint: 'run `lanspread library` to see the games this peer has'})
    const stored = await this.storedGame(id)
    if (!stored) {
      throw new LanspreadError('io', `${this.games.file(id)} vanished while lanspread was reading game ${id}`, {
        hint: 'run `lanspread scan --full` and try again',
      })
    }
    const {computeContentHashes} = await import('./content-hashes.js')
    const {hashes, hashed} = await computeContentHashes(path.join(this.paths.gamesDir, id), stored.manifest, stored.content_hashes)
    const next = gameFile(stored.manifest, hashes)
    if (!gameFilesEqual(stored, next)) await this.saveGameFile(id, next)
    return {manifest: stored.manifest, manifest_hash: entry.manifest_hash, content_hashes: hashes, hashed}
  }

  /** The next state after a scan, and whether anything of it must reach the disk. */
  private async plan(options: RefreshOptions): Promise<Plan> {
    const scan = await scanGames({
      gamesDir: this.paths.gamesDir,
      previous: this.index.games,
      loadGameFile: (id) => this.storedGame(id),
      full: options.full ?? false,
      ...(options.only ? {only: options.only} : {}),
      ...(this.components.reader ? {reader: this.components.reader} : {}),
      ownNames: this.ownNames(),
    })
    const index: LibraryIndex = {...this.index, games: scan.games}
    const summaries = summarizeIndex(index, this.catalog, this.components.operations)
    const changed = !scan.sameEntries && entriesChanged(this.index.games, scan.games)
    index.digest_stamp = digestStamp(index.library_epoch, this.catalog.stamp, activeOperations(index, this.components.operations))
    const step = nextRevision(this.index.library_rev, this.index.library_digest, this.digestOf(index, summaries, changed))
    index.library_rev = step.library_rev
    index.library_digest = step.library_digest
    const files = new Map([...this.unsaved].filter(([id]) => id in scan.games))
    for (const [id, file] of scan.files) files.set(id, file)
    // A skipped game leaves the library, but its stored hashes stay for when it is readable again.
    const skipped = new Set(scan.report.skipped.map((s) => s.id))
    const removed = scan.sameEntries ? [] : Object.keys(this.index.games).filter((id) => !(id in scan.games) && !skipped.has(id))
    // A stamp that moved alone is not written: the digest is the same, and a no-op scan writes nothing.
    const needsWrite = step.changed || files.size > 0 || changed || this.store.needsRepair(index)
    return {index, summaries, step, files, removed, needsWrite, report: scan.report}
  }

  /**
   * The stored digest is of the stored entries under the stored stamp: when neither moved it
   * is reused, and nothing is hashed (a no-op scan does not even load BLAKE3).
   */
  private digestOf(next: LibraryIndex, summaries: Map<GameId, GameSummary>, entriesMoved: boolean): string {
    const stored = this.index.library_digest
    if (!entriesMoved && stored !== null && this.index.digest_stamp === next.digest_stamp) return stored
    return libraryDigest([...summaries.values()])
  }

  /** Game files first, then library-rev.json and the index (a journal record or a checkpoint), then the files of removed games. */
  private async persist(plan: Plan): Promise<void> {
    for (const [id, file] of plan.files) await this.games.save(id, file)
    await this.store.save(plan.index)
    await this.games.remove(plan.removed)
  }

  /** Makes a plan the current state and announces its revision. */
  private install(plan: Plan, saved: boolean): RefreshResult {
    const previous = plan.step.changed ? this.summaries : undefined
    const previousRev = this.index.library_rev
    this.index = plan.index
    this.summaryCache = plan.summaries
    this.unsaved = saved ? new Map() : new Map([...this.unsaved, ...plan.files].filter(([id]) => id in plan.index.games))
    const result: RefreshResult = {...this.snapshot(), report: plan.report}
    if (!previous) return result
    const delta = diffSummaries(previous, plan.summaries, plan.index.library_epoch, previousRev, plan.step.library_rev)
    this.emit('changed', delta)
    return {...result, delta}
  }

  private async saveGameFile(id: GameId, file: GameFile): Promise<void> {
    if (this.components.readOnly) {
      this.unsaved.set(id, file)
      return
    }
    try {
      await this.withIndexLock('hash', () => this.games.save(id, file))
      this.unsaved.delete(id)
    } catch (error) {
      if (!isStateNotWritable(error)) throw error
      this.warnNotWritable(error, `the content hashes of ${id} are kept in memory only`)
      this.unsaved.set(id, file)
    }
  }

  /** Top-level names of the games folder that are lanspread's own, not games. */
  private ownNames(): Set<string> {
    const own = new Set<string>()
    for (const file of [this.paths.stateDir, this.paths.catalogPath]) {
      if (path.dirname(file) === this.paths.gamesDir) own.add(path.basename(file))
    }
    return own
  }

  /** The lock creates the state folder (and its locks/) on first use. Imported here: a scan that writes nothing takes no lock. */
  private async withIndexLock<T>(purpose: string, work: () => Promise<T>): Promise<T> {
    const {PidLock: Lock} = await import('../fs/pid-lock.js')
    const lock: PidLock = await Lock.acquire(path.join(this.paths.locksDir, 'index.lock'), {
      subject: `index ${this.paths.indexPath}`,
      purpose,
      waitMs: INDEX_LOCK_WAIT_MS,
    })
    try {
      return await work()
    } finally {
      await lock.release()
    }
  }

  /** Another process may have saved the index since we read it: start from its version. */
  private async reloadIfChangedElsewhere(): Promise<boolean> {
    if (!(await this.store.changedSinceLastSeen())) return false
    const {index, warnings, migrated} = await this.store.load()
    for (const warning of warnings) this.logger.warn(warning)
    this.index = index
    this.unsaved = migrated
    this.summaryCache = undefined
    return true
  }

  private get summaries(): Map<GameId, GameSummary> {
    this.summaryCache ??= summarizeIndex(this.index, this.catalog, this.components.operations)
    return this.summaryCache
  }

  private warnNotWritable(error: LanspreadError, consequence: string): void {
    this.logger.warn(
      `the state folder ${this.paths.stateDir} cannot be written (${notWritableReason(error)}): ${consequence}; use --state-dir PATH to keep the index in a writable folder`,
    )
  }

  private get logger(): Logger {
    return this.components.logger ?? stderrLogger
  }
}

/** Reused entries are the very same objects; only rebuilt ones are compared field by field. */
function entriesChanged(before: Readonly<Record<GameId, IndexedGame>>, after: Readonly<Record<GameId, IndexedGame>>): boolean {
  const ids = Object.keys(after)
  if (ids.length !== Object.keys(before).length) return true
  return ids.some((id) => before[id] !== after[id] && JSON.stringify(before[id]) !== JSON.stringify(after[id]))
}

const stderrLogger: Logger = {warn: (message) => process.stderr.write(`warning: ${message}\n`)}
