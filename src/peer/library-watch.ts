// Watching the games folder while serve runs: file events go through the rescan gate (one
// coalesced refresh at a time, none for a game an operation owns, whose folder is not watched
// meanwhile), a catalog change reloads the catalog. A watcher that cannot start, or fails
// later, leaves the periodic scan to notice changes.
import path from 'node:path'
import type {LanspreadPaths} from '../config.js'
import {errorMessage} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {GameOperations, OperationEvent} from '../ops/game-operations.js'
import {RescanGate} from './rescan-gate.js'
import type {LogLevel} from './runtime-view.js'
import type {RuntimeSettings} from './settings.js'
import {type GamesWatcher, watchGames} from './watcher.js'

export interface LibraryWatchComponents {
  paths: LanspreadPaths
  settings: RuntimeSettings
  /** Rescans these games (one library refresh). */
  rescan(ids: GameId[]): Promise<void>
  /** Whose operations own games: their events are dropped (each rescans its game when it ends). */
  operations: Pick<GameOperations, 'activeOperation' | 'on' | 'off'>
  reloadCatalog(): Promise<unknown>
  log(level: LogLevel, message: string): void
}

export interface LibraryWatch {
  readonly gate: RescanGate
  /** Lets the rescans in progress finish, then stops watching. */
  close(): Promise<void>
}

export async function watchLibrary(components: LibraryWatchComponents): Promise<LibraryWatch> {
  const {paths, log, operations} = components
  const gate = new RescanGate({
    rescan: (ids) => components.rescan(ids),
    isBusy: (id) => operations.activeOperation(id) !== undefined,
    onError: (error) => log('warn', `rescan failed: ${errorMessage(error)}`),
  })
  const ownNames = new Set<string>()
  for (const file of [paths.stateDir, paths.catalogPath]) if (path.dirname(file) === paths.gamesDir) ownNames.add(path.basename(file))
  let watcher: GamesWatcher | undefined
  try {
    watcher = await watchGames({
      gamesDir: paths.gamesDir,
      ownNames,
      catalogPath: paths.catalogPath,
      onGameEvent: (id) => gate.notify(id),
      onCatalogEvent: () => void reloadCatalog(components),
      onError: (error) =>
        log(
          'warn',
          `watching ${paths.gamesDir} failed (${errorMessage(error)}); changes are picked up by the scan every ${Math.round(components.settings.rescanIntervalMs / 1000)} s`,
        ),
    })
  } catch (error) {
    log('warn', `cannot watch ${paths.gamesDir} (${errorMessage(error)}); changes are picked up by the periodic scan`)
  }
  const pause = ({id}: OperationEvent): void => watcher?.pause(id)
  const resume = ({id}: OperationEvent): void => watcher?.resume(id)
  operations.on('started', pause)
  operations.on('finished', resume)
  operations.on('failed', resume)
  return {
    gate,
    close: async () => {
      operations.off('started', pause)
      operations.off('finished', resume)
      operations.off('failed', resume)
      await gate.idle()
      await watcher?.close()
    },
  }
}

async function reloadCatalog(components: LibraryWatchComponents): Promise<void> {
  try {
    await components.reloadCatalog()
  } catch (error) {
    components.log('warn', `the catalog was not reloaded: ${errorMessage(error)}`)
  }
}
