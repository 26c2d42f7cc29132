// The one owner of per-game operation state in a process: which game has an operation
// running, the cross-process game locks, recovery before every operation, events for a
// runtime to subscribe to, and a rescan of the game when its operation ends.
import {EventEmitter} from 'node:events'
import fs from 'node:fs/promises'
import type {LanspreadPaths} from '../config.js'
import {type ErrorCode, LanspreadError, errnoCode, errorMessage, ioError, isLanspreadError} from '../errors.js'
import type {PidLock} from '../fs/pid-lock.js'
import {lstatOrNull} from '../fs/stat.js'
import {type GameId, type GamePaths, gamePaths, isGameId} from '../library/layout.js'
import {assertGamesDir, listGameFolders} from '../library/games-folder.js'
import type {Logger, OperationStateReader, RefreshOptions} from '../library/library.js'
import type {ActiveOperation, DownloadTarget} from '../library/summary.js'
import {failpoint} from '../util/failpoints.js'
import {lockGame} from './game-lock.js'
import {type InstallResult, type UpdateOptions, installGame, installLatest, updateGame} from './install.js'
import {assertNotLocked} from './lock-peek.js'
import {type RecoveryReport, recoverGame} from './recovery.js'
import {type UninstallOptions, type UninstallResult, uninstallGame} from './uninstall.js'

export interface OperationEvent {
  id: GameId
  kind: ActiveOperation
}

export interface OperationEvents {
  started: [OperationEvent]
  finished: [OperationEvent & {result: unknown}]
  failed: [OperationEvent & {error: unknown}]
}

/** The part of the library an operation needs: a rescan of the game it changed. */
export interface Rescanner {
  refresh(options: RefreshOptions): Promise<unknown>
}

export interface GameOperationsComponents {
  logger?: Logger
  library?: Rescanner
}

export interface InstallOptions extends UpdateOptions {
  update?: boolean
}

export type OperationResult<T> = T & {recovered?: RecoveryReport}

/** A game a `recover` over many games could not repair: held by another operation, or failed. */
export interface UnrecoveredReport {
  id: GameId
  action: 'busy' | 'failed'
  code: ErrorCode
  description: string
}

export class GameOperations extends EventEmitter<OperationEvents> implements OperationStateReader {
  private readonly active = new Map<GameId, ActiveOperation>()
  /** The target of each download running here, published in the game's summary (SPEC §5.1). */
  private readonly targets = new Map<GameId, DownloadTarget>()

  constructor(
    private readonly paths: Pick<LanspreadPaths, 'gamesDir' | 'locksDir'>,
    private components: GameOperationsComponents = {},
  ) {
    super()
  }

  /** The library is built with this object as its operation reader, then attached. */
  attachLibrary(library: Rescanner): void {
    this.components = {...this.components, library}
  }

  activeOperation(id: GameId): ActiveOperation | undefined {
    return this.active.get(id)
  }

  downloadTarget(id: GameId): DownloadTarget | undefined {
    return this.targets.get(id)
  }

  async install(id: GameId, options: InstallOptions = {}): Promise<OperationResult<InstallResult>> {
    const kind = options.update ? 'update' : 'install'
    return this.run(id, kind, (game) => (options.update ? updateGame(game, options) : installGame(game, options)))
  }

  /** After a download: install, update when the archives changed since the install, or nothing. */
  async installLatest(id: GameId, options: UpdateOptions = {}): Promise<OperationResult<InstallResult>> {
    return this.run(id, 'install', (game) => installLatest(game, options))
  }

  /** Where game `id`'s folder is, created or not (the downloader measures path lengths from it). */
  gameRoot(id: GameId): string {
    return gamePaths(this.paths.gamesDir, id).root
  }

  /**
   * Runs a download (`work`, which writes the payload and the sentinel) under the game's lock,
   * after recovery. The game's folder is created if it is new, and the game is rescanned once
   * the lock is held, so the library shows it `downloading` with its `target` (one revision,
   * one LibraryDelta) for as long as `work` runs.
   */
  async download<T extends object>(id: GameId, target: DownloadTarget, work: (game: GamePaths) => Promise<T>): Promise<OperationResult<T>> {
    assertGameId(id)
    await this.createGameFolder(id)
    return this.run(id, 'download', async (game) => {
      // Set only once this download owns the game: a refused second download leaves the first's.
      this.targets.set(id, target)
      await this.rescan(id)
      return work(game)
    })
  }

  async uninstall(id: GameId, options: UninstallOptions = {}): Promise<OperationResult<UninstallResult>> {
    return this.run(id, 'uninstall', (game) => uninstallGame(game, options))
  }

  /**
   * Recovers the named games, or every game folder. A game held by another operation (not
   * waited for) or one that cannot be repaired is reported, and the others still recovered.
   * A dry run writes nothing: it takes no lock, only checks that no live process holds one.
   */
  async recover(ids: readonly GameId[] = [], options: {dryRun?: boolean} = {}): Promise<(RecoveryReport | UnrecoveredReport)[]> {
    const targets = ids.length > 0 ? ids : await this.gameFolders()
    const reports: (RecoveryReport | UnrecoveredReport)[] = []
    const work = (game: GamePaths) => recoverGame(game, options)
    for (const id of targets) {
      try {
        reports.push(await (options.dryRun ? this.unlocked(id, work) : this.recoverOne(id)))
      } catch (error) {
        if (!isLanspreadError(error) || error.code === 'usage' || error.code === 'not_found') throw error
        const action = error.code === 'busy' ? 'busy' : 'failed'
        reports.push({id, action, code: error.code, description: error.hint ? `${error.message} (${error.hint})` : error.message})
      }
    }
    return reports
  }

  /**
   * Recovery under the lock. On a disk too full for the lock file, the steps that need no
   * space (deletions, renames) run first — no live process may hold the game — and free
   * what the interrupted operation took; then the lock, and the intent cleared under it.
   */
  private async recoverOne(id: GameId): Promise<RecoveryReport> {
    try {
      return await this.exclusive(id, 'recover', (game) => recoverGame(game))
    } catch (error) {
      if (!isDiskFull(error)) throw error
    }
    const planned = await this.unlocked(id, (game) => recoverGame(game, {spaceFreeingOnly: true}))
    this.components.logger?.warn(`${id}: the disk is full; freed what the interrupted operation took before taking the game's lock`)
    await this.exclusive(id, 'recover', (game) => recoverGame(game))
    return planned
  }

  /** Runs a user operation: recovery first, so it always starts from a consistent folder. */
  private async run<T extends object>(id: GameId, kind: ActiveOperation, work: (game: GamePaths) => Promise<T>): Promise<OperationResult<T>> {
    return this.exclusive(id, kind, async (game) => {
      const recovered = await recoverGame(game)
      await assertNothingForeignInTheWay(game)
      const result = await work(game)
      return recovered.action === 'nothing_to_do' ? result : {...result, recovered}
    })
  }

  private async exclusive<T>(id: GameId, kind: ActiveOperation, work: (game: GamePaths) => Promise<T>): Promise<T> {
    // The in-process gate is taken before the first await, so two calls cannot both pass it.
    this.assertIdle(id)
    this.active.set(id, kind)
    let lock: PidLock | undefined
    try {
      const game = await this.existingGame(id)
      lock = await lockGame(this.paths.locksDir, id, kind)
      this.emit('started', {id, kind})
      try {
        const result = await work(game)
        this.emit('finished', {id, kind, result})
        return result
      } catch (error) {
        this.emit('failed', {id, kind, error})
        throw error
      }
    } finally {
      this.active.delete(id)
      this.targets.delete(id)
      if (lock) {
        await this.rescan(id)
        if (kind === 'download') failpoint('download.unlocking')
        await lock.release()
      }
    }
  }

  /** Read-only work (a dry run): refused while an operation holds the game, in this process or another. */
  private async unlocked<T>(id: GameId, work: (game: GamePaths) => Promise<T>): Promise<T> {
    this.assertIdle(id)
    const game = await this.existingGame(id)
    await assertNotLocked(this.paths.locksDir, id)
    return work(game)
  }

  private assertIdle(id: GameId): void {
    assertGameId(id)
    const running = this.active.get(id)
    if (running) throw new LanspreadError('busy', `game ${id} is busy: ${running} is running`, {hint: 'wait for it to finish and try again'})
  }

  private async rescan(id: GameId): Promise<void> {
    try {
      await this.components.library?.refresh({only: [id]})
    } catch (error) {
      this.components.logger?.warn(`the library index was not refreshed for ${id}: ${errorMessage(error)}`)
    }
  }

  /** A new game's root; the games folder itself must exist (no folder is created above it). */
  private async createGameFolder(id: GameId): Promise<void> {
    await assertGamesDir(this.paths.gamesDir)
    const {root} = gamePaths(this.paths.gamesDir, id)
    await fs.mkdir(root).catch((error: unknown) => {
      if (errnoCode(error) !== 'EEXIST') throw ioError('create', root, error)
    })
  }

  private async existingGame(id: GameId): Promise<GamePaths> {
    const game = gamePaths(this.paths.gamesDir, id)
    if ((await lstatOrNull(game.root))?.isDirectory()) return game
    throw new LanspreadError('not_found', `game ${id} not found: no folder ${game.root}`, {hint: 'run `lanspread library` to list the games of this peer'})
  }

  private async gameFolders(): Promise<GameId[]> {
    await assertGamesDir(this.paths.gamesDir)
    return (await listGameFolders(this.paths.gamesDir)).ids
  }
}

/** ENOSPC (or EDQUOT), bare or as the cause of an io error. */
function isDiskFull(error: unknown): boolean {
  const code = errnoCode(isLanspreadError(error) ? error.cause : error)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

function assertGameId(id: string): void {
  if (isGameId(id)) return
  throw new LanspreadError('usage', `"${id}" is not a valid game ID`, {hint: 'a game ID is a folder name of letters, digits, ".", "_" and "-"'})
}

/** After recovery, a reserved name still present is the user's: refuse rather than touch it. */
async function assertNothingForeignInTheWay(game: GamePaths): Promise<void> {
  for (const [path, name] of [
    [game.installing, '.local.installing'],
    [game.backup, '.local.backup'],
  ] as const) {
    if (!(await lstatOrNull(path))) continue
    throw new LanspreadError('invalid_input', `game ${game.id}: ${path} is in the way and is not lanspread's (no ${'.lanspread_owned'} marker)`, {
      hint: `move ${name} out of the game folder (it may hold your files), then try again`,
    })
  }
  const local = await lstatOrNull(game.local)
  if (local && !local.isDirectory()) {
    throw new LanspreadError('invalid_input', `game ${game.id}: ${game.local} exists but is not a folder`, {
      hint: 'move it out of the game folder, then try again',
    })
  }
}
