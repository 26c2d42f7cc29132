// Install and update (SPEC §3): intent, staging with its marker, extraction of every
// root-level .eti, rename to local/, intent cleared — with a failpoint at every step
// boundary. On an error (not a crash) the game is rolled back before the error is thrown.
import {LanspreadError, errorMessage, getGameAgainHint, isLanspreadError} from '../errors.js'
import type {GamePaths} from '../library/layout.js'
import {isDownloaded, isInstalled} from '../library/predicates.js'
import {failpoint} from './failpoints.js'
import {writeIntent} from './intent-log.js'
import {removeTree, renameDurably} from '../fs/durable.js'
import {recoverGame} from './recovery.js'
import {type StagingOptions, createStaging, extractInto, requireArchives} from './staging.js'

export type InstallAction = 'installed' | 'updated' | 'already_installed'

export interface InstallResult {
  id: string
  action: InstallAction
  archives: string[]
}

/** Installs a downloaded game that is not installed; an installed game is left as it is. */
export async function installGame(game: GamePaths, options: StagingOptions = {}): Promise<InstallResult> {
  await requireDownloaded(game)
  if (await isInstalled(game)) return {id: game.id, action: 'already_installed', archives: []}
  const archives = await requireArchives(game)
  await writeIntent(game, 'Installing')
  failpoint('install.intent-written')
  await rollBackOnError(game, async () => {
    await createStaging(game)
    failpoint('install.staging-created')
    await extractInto(game, archives, {...options, betweenArchives: () => failpoint('install.extracting')})
    failpoint('install.extracted')
    await renameDurably(game.installing, game.local, game.root)
    failpoint('install.renamed')
  })
  await writeIntent(game, 'None')
  failpoint('install.intent-cleared')
  return {id: game.id, action: 'installed', archives: archives.map((a) => a.name)}
}

/** Reinstalls from the current archives: the old local/ is kept as a backup until the new one is in place. */
export async function updateGame(game: GamePaths, options: StagingOptions = {}): Promise<InstallResult> {
  await requireDownloaded(game)
  if (!(await isInstalled(game))) return installGame(game, options)
  const archives = await requireArchives(game)
  await writeIntent(game, 'Updating')
  failpoint('update.intent-written')
  await rollBackOnError(game, async () => {
    await renameDurably(game.local, game.backup, game.root)
    failpoint('update.backup-moved')
    await createStaging(game)
    failpoint('update.staging-created')
    await extractInto(game, archives, {...options, betweenArchives: () => failpoint('update.extracting')})
    failpoint('update.extracted')
    await renameDurably(game.installing, game.local, game.root)
    failpoint('update.renamed')
  })
  await removeTree(game.backup, game.root)
  failpoint('update.backup-deleted')
  await writeIntent(game, 'None')
  failpoint('update.intent-cleared')
  return {id: game.id, action: 'updated', archives: archives.map((a) => a.name)}
}

async function requireDownloaded(game: GamePaths): Promise<void> {
  if (await isDownloaded(game)) return
  throw new LanspreadError('not_downloaded', `game ${game.id} is not downloaded (no version.ini in ${game.root})`, {
    hint: getGameAgainHint(game.id),
  })
}

/** A failed step (bad archive, disk full) leaves the game as it was before, then reports. */
async function rollBackOnError(game: GamePaths, steps: () => Promise<void>): Promise<void> {
  try {
    await steps()
  } catch (error) {
    await recoverGame(game).catch((recoveryError: unknown) => {
      throw new LanspreadError(isLanspreadError(error) ? error.code : 'io', `${errorMessage(error)}; rolling back also failed: ${errorMessage(recoveryError)}`, {
        hint: `fix the cause, then run \`lanspread recover ${game.id}\``,
        cause: error,
      })
    })
    throw error
  }
}

