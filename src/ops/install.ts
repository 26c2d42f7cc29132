// Install and update (SPEC §3): intent, staging with its marker, extraction of every
// root-level .eti, (update) what the user made carried over, install record, rename to
// local/, intent cleared — with a failpoint at every step boundary. On an error (not a
// crash) the game is rolled back before the error is thrown.
import {LanspreadError, errorMessage, getGameAgainHint, isLanspreadError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import type {GamePaths} from '../library/layout.js'
import {isDownloaded, isInstalled} from '../library/predicates.js'
import {type CarryOptions, type KeptRule, NOTHING_CARRIED, bringBackKept, carryOver} from './carry-over.js'
import {failpoint} from '../util/failpoints.js'
import {readRecord, recordTree, withoutPaths} from './install-record.js'
import {writeIntent} from './intent-log.js'
import {removeTree, renameDurably} from '../fs/durable.js'
import {recoverGame} from './recovery.js'
import {type ArchiveFile, type StagingOptions, createStaging, extractInto, requireArchives, sealStaging} from './staging.js'

export type InstallAction = 'installed' | 'updated' | 'already_installed'

export interface InstallResult {
  id: string
  action: InstallAction
  archives: string[]
  /** What was kept of the previous local/ (an update), or brought back from .lanspread-kept/ (an install). Relative paths; folders end with "/". */
  kept?: string[]
  /** Updates only: which rule chose `kept`. */
  kept_rule?: KeptRule
}

export interface UpdateOptions extends StagingOptions, CarryOptions {
  /** Replace everything: keep nothing of the previous local/. */
  clean?: boolean
}

/** Installs a downloaded game that is not installed; an installed game is left as it is. */
export async function installGame(game: GamePaths, options: StagingOptions & CarryOptions = {}): Promise<InstallResult> {
  await requireDownloaded(game)
  if (await isInstalled(game)) return {id: game.id, action: 'already_installed', archives: []}
  const archives = await requireArchives(game)
  await writeIntent(game, 'Installing')
  failpoint('install.intent-written')
  const restored = await rollBackOnError(game, async () => {
    await createStaging(game)
    failpoint('install.staging-created')
    await extractInto(game, archives, {...options, betweenArchives: () => failpoint('install.extracting')})
    const extracted = await recordTree(game.installing)
    const result = await bringBackKept(game, options)
    await sealStaging(game, {...withoutPaths(extracted, result.replaced), archives})
    failpoint('install.extracted')
    await renameDurably(game.installing, game.local, game.root)
    failpoint('install.renamed')
    return result
  })
  // Hard links in local/ now hold every kept file. A crash before this leaves the kept folder
  // beside local/: the next uninstall merges it into the one it makes.
  if ((await lstatOrNull(game.kept))?.isDirectory()) await removeTree(game.kept, game.root)
  failpoint('install.kept-deleted')
  await writeIntent(game, 'None')
  failpoint('install.intent-cleared')
  return {id: game.id, action: 'installed', archives: archives.map((a) => a.name), ...(restored.kept.length > 0 ? {kept: restored.kept} : {})}
}

/**
 * Reinstalls from the current archives, keeping what the user made (unless clean). The old
 * local/ stays whole as the backup until the new one is in place: kept files are hard links.
 */
export async function updateGame(game: GamePaths, options: UpdateOptions = {}): Promise<InstallResult> {
  await requireDownloaded(game)
  if (!(await isInstalled(game))) return installGame(game, options)
  const archives = await requireArchives(game)
  await writeIntent(game, 'Updating')
  failpoint('update.intent-written')
  const carried = await rollBackOnError(game, async () => {
    await renameDurably(game.local, game.backup, game.root)
    failpoint('update.backup-moved')
    await createStaging(game)
    failpoint('update.staging-created')
    await extractInto(game, archives, {...options, betweenArchives: () => failpoint('update.extracting')})
    failpoint('update.extracted')
    const extracted = {...(await recordTree(game.installing)), archives}
    const result = options.clean ? NOTHING_CARRIED : await carryOver(game, options)
    await sealStaging(game, withoutPaths(extracted, result.replaced))
    failpoint('update.carried-over')
    await renameDurably(game.installing, game.local, game.root)
    failpoint('update.renamed')
    return result
  })
  await removeTree(game.backup, game.root)
  failpoint('update.backup-deleted')
  await writeIntent(game, 'None')
  failpoint('update.intent-cleared')
  return {id: game.id, action: 'updated', archives: archives.map((a) => a.name), kept: carried.kept, kept_rule: carried.rule}
}

/**
 * After a download (`fetch --install`): installs the game if it is not installed, updates it
 * (keeping what the user made) if its archives are not the ones it was installed from, and
 * otherwise leaves it as it is. An install without a record of its archives is updated.
 */
export async function installLatest(game: GamePaths, options: UpdateOptions = {}): Promise<InstallResult> {
  await requireDownloaded(game)
  if (!(await isInstalled(game))) return installGame(game, options)
  if (await installedFrom(game, await requireArchives(game))) return {id: game.id, action: 'already_installed', archives: []}
  return updateGame(game, options)
}

async function installedFrom(game: GamePaths, archives: readonly ArchiveFile[]): Promise<boolean> {
  const recorded = (await readRecord(game.local))?.archives
  if (!recorded || recorded.length !== archives.length) return false
  return recorded.every((r, i) => r.name === archives[i]!.name && r.size === archives[i]!.size && r.mtime_ms === archives[i]!.mtime_ms)
}

async function requireDownloaded(game: GamePaths): Promise<void> {
  if (await isDownloaded(game)) return
  if ((await lstatOrNull(game.sentinel))?.isSymbolicLink()) {
    throw new LanspreadError(
      'not_downloaded',
      `version.ini in ${game.root} is a symbolic link; lanspread only trusts regular files there (replace it with the file itself)`,
      {
        hint: `replace the link ${game.sentinel} with a copy of the file it points to, then run \`lanspread install ${game.id}\` again`,
      },
    )
  }
  throw new LanspreadError('not_downloaded', `game ${game.id} is not downloaded (no version.ini in ${game.root})`, {
    hint: getGameAgainHint(game.id),
  })
}

/** A failed step (bad archive, disk full) leaves the game as it was before, then reports. */
async function rollBackOnError<T>(game: GamePaths, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps()
  } catch (error) {
    await recoverGame(game).catch((recoveryError: unknown) => {
      throw new LanspreadError(
        isLanspreadError(error) ? error.code : 'io',
        `${errorMessage(error)}; rolling back also failed: ${errorMessage(recoveryError)}`,
        {
          hint: `fix the cause, then run \`lanspread recover ${game.id}\``,
          cause: error,
        },
      )
    })
    throw error
  }
}
