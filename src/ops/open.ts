// Builds the operation owner for a command that runs without `serve`: the operations,
// plus the library they rescan afterwards when the catalog allows one (recovery and
// uninstall must work even with a broken catalog, so that is only a warning). A read-only
// command (`recover --dry-run`) opens no library: opening one may write the state folder.
import type {LanspreadPaths} from '../config.js'
import {isLanspreadError} from '../errors.js'
import {assertGamesDir} from '../library/games-folder.js'
import {Library, type Logger} from '../library/library.js'
import {GameOperations} from './game-operations.js'

export async function openOperations(paths: LanspreadPaths, logger: Logger, options: {readOnly?: boolean} = {}): Promise<GameOperations> {
  await assertGamesDir(paths.gamesDir)
  const operations = new GameOperations(paths, {logger})
  if (options.readOnly) return operations
  try {
    operations.attachLibrary(await Library.open(paths, {logger, operations}))
  } catch (error) {
    if (!isLanspreadError(error)) throw error
    logger.warn(`the library index will not be refreshed afterwards: ${error.message}`)
  }
  return operations
}
