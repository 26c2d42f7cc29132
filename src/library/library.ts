// The local library: the one owner of the index in a process. It refreshes the index from
// the game folders, publishes summaries with library_rev and library_digest, computes
// content hashes on demand, and emits `changed` (a delta) after each revision.
import {EventEmitter} from 'node:events'
import path from 'node:path'
import type {LanspreadPaths} from '../config.js'
import {LanspreadError} from '../errors.js'
import {PidLock} from '../fs/pid-lock.js'
import {type Catalog, loadCatalog} from './catalog.js'
import {assertGamesDir} from './games-folder.js'
import {type ContentHashCache, computeContentHashes} from './content-hashes.js'
import {type IndexedGame, IndexStore, type LibraryIndex} from './index-store.js'
import type {GameId} from './layout.js'
import {type LibraryDelta, diffSummaries} from './library-delta.js'
import {libraryDigest, nextRevision} from './library-revision.js'
import type {Manifest} from './manifest.js'
import {type ScanReport, scanGames} from './scanner.js'
import {type ActiveOperation, type GameSummary, summarize} from './summary.js'

export interface Logger {
  warn(message: string): void
}

/** Who knows which games have an operation running (the operation owner, later serve). */
export interface OperationStateReader {
  activeOperation(id: GameId): ActiveOperation | undefined
}

export interface LibraryComponents {
  logger?: Logger
  operations?: OperationStateReader
}

export type {LibraryDelta} from './library-delta.js'

export interface LibrarySnapshot {
  library_rev: number
  library_digest: string
  games: GameSummary[]
}

export interface RefreshOptions {
  full?: boolean
  only?: readonly GameId[]
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

/** How long a scan waits for another process's scan of the same index. */
const INDEX_LOCK_WAIT_MS = 30_000

export class Library extends EventEmitter<{changed: [LibraryDelta]}> {
  private summaries: Map<GameId, GameSummary>

  private constructor(
    readonly paths: LanspreadPaths,
    private readonly catalog: Catalog,
    private readonly store: IndexStore,
    private index: LibraryIndex,
    private readonly components: LibraryComponents,
  ) {
    super()
    this.summaries = this.summarizeAll()
  }

  static async open(paths: LanspreadPaths, components: LibraryComponents = {}): Promise<Library> {
    await assertGamesDir(paths.gamesDir)
    const catalog = await loadCatalog(paths.catalogPath)
    const store = new IndexStore(paths)
    const {index, warning} = await store.load()
    if (warning) (components.logger ?? stderrLogger).warn(warning)
    return new Library(paths, catalog, store, index, components)
  }

  get libraryRev(): number {
    return this.index.library_rev
  }

  snapshot(): LibrarySnapshot {
    return {library_rev: this.index.library_rev, library_digest: this.index.library_digest ?? libraryDigest([]), games: [...this.summaries.values()]}
  }

  summary(id: GameId): GameSummary | undefined {
    return this.summaries.get(id)
  }

  indexedGame(id: GameId): IndexedGame | undefined {
    return this.index.games[id]
  }

  /** Scans (warm, full or per ID), bumps library_rev once if any summary changed, saves. */
  async refresh(options: RefreshOptions = {}): Promise<RefreshResult> {
    // Checked before the state folder (by default inside it) would be created.
    await assertGamesDir(this.paths.gamesDir)
    return this.withIndexLock('scan', async () => {
      const {games, report} = await scanGames({
        gamesDir: this.paths.gamesDir,
        previous: this.index.games,
        full: options.full ?? false,
        ...(options.only ? {only: options.only} : {}),
        ownNames: this.ownNames(),
      })
      const removed = Object.keys(this.index.games).some((id) => !(id in games))
      const delta = await this.commit({...this.index, games}, report.rescanned.length > 0 || removed)
      return {...this.snapshot(), report, ...(delta ? {delta} : {})}
    })
  }

  /**
   * The manifest of a game with the content hash of every file and chunk, hashing only
   * files whose size or mtime changed since they were last hashed.
   */
  async content(id: GameId): Promise<GameContent> {
    await this.refresh({only: [id], full: true})
    return this.withIndexLock('hash', async () => {
      const game = this.index.games[id]
      if (!game) throw new LanspreadError('not_found', `game ${id} is not in ${this.paths.gamesDir}`, {hint: 'run `lanspread library` to see the games this peer has'})
      const {hashes, hashed} = await computeContentHashes(path.join(this.paths.gamesDir, id), game.manifest, game.content_hashes)
      if (hashed.length > 0 || Object.keys(hashes).length !== Object.keys(game.content_hashes).length) {
        await this.commit({...this.index, games: {...this.index.games, [id]: {...game, content_hashes: hashes}}}, true)
      }
      return {manifest: game.manifest, manifest_hash: game.manifest_hash, content_hashes: hashes, hashed}
    })
  }

  /** Installs a new index state: recompute summaries, move the revision, persist, emit. */
  private async commit(next: LibraryIndex, indexChanged: boolean): Promise<LibraryDelta | undefined> {
    const previous = this.summaries
    const previousRev = this.index.library_rev
    const candidate = {...next}
    const summaries = summarizeIndex(candidate, this.catalog, this.components.operations)
    const step = nextRevision(previousRev, this.index.library_digest, libraryDigest([...summaries.values()]))
    candidate.library_rev = step.library_rev
    candidate.library_digest = step.library_digest
    if (step.changed || indexChanged) await this.store.save(candidate, previousRev)
    this.index = candidate
    this.summaries = summaries
    if (!step.changed) return undefined
    const delta = diffSummaries(previous, summaries, previousRev, step.library_rev)
    this.emit('changed', delta)
    return delta
  }

  private summarizeAll(): Map<GameId, GameSummary> {
    return summarizeIndex(this.index, this.catalog, this.components.operations)
  }

  /** Top-level names of the games folder that are lanspread's own, not games. */
  private ownNames(): Set<string> {
    const own = new Set<string>()
    for (const file of [this.paths.stateDir, this.paths.catalogPath]) {
      if (path.dirname(file) === this.paths.gamesDir) own.add(path.basename(file))
    }
    return own
  }

  /** The lock creates the state folder (and its locks/) on first use. */
  private async withIndexLock<T>(purpose: string, work: () => Promise<T>): Promise<T> {
    const lock = await PidLock.acquire(path.join(this.paths.locksDir, 'index.lock'), {subject: `index ${this.paths.indexPath}`, purpose, waitMs: INDEX_LOCK_WAIT_MS})
    try {
      await this.reloadIfChangedElsewhere()
      return await work()
    } finally {
      await lock.release()
    }
  }

  /** Another process may have saved the index since we read it: start from its version. */
  private async reloadIfChangedElsewhere(): Promise<void> {
    if (!(await this.store.changedSinceLastSeen())) return
    const {index, warning} = await this.store.load()
    if (warning) (this.components.logger ?? stderrLogger).warn(warning)
    this.index = index
    this.summaries = this.summarizeAll()
  }
}

function summarizeIndex(index: LibraryIndex, catalog: Catalog, operations: OperationStateReader | undefined): Map<GameId, GameSummary> {
  const ids = Object.keys(index.games).sort()
  return new Map(ids.map((id) => [id, summarize(id, index.games[id]!, catalog, operations?.activeOperation(id))]))
}

const stderrLogger: Logger = {warn: (message) => process.stderr.write(`warning: ${message}\n`)}
