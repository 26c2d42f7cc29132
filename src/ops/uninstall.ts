// Uninstall (SPEC §3): intent, move local/ to .local.backup/, keep what the user made in
// .lanspread-kept/ (unless purge) and delete the rest, clear the intent. A crash after the
// move is rolled forward by recovery, which keeps the user's files (even for a purge).
import type {GamePaths} from '../library/layout.js'
import {isInstalled} from '../library/predicates.js'
import {failpoint} from '../util/failpoints.js'
import {writeIntent} from './intent-log.js'
import {type KeptFiles, assertKeptIsFolder, keepBackup} from './kept.js'
import {removeTree, renameDurably} from '../fs/durable.js'

export interface UninstallOptions {
  /** Delete what the user made in local/ too, instead of keeping it in .lanspread-kept/. */
  purge?: boolean
}

export interface UninstallResult {
  id: string
  action: 'uninstalled' | 'not_installed'
  /** What was kept in .lanspread-kept/ (relative paths; folders end with "/"); empty after a purge. */
  kept?: string[]
  /** Which rule chose `kept` (see KeptFiles), or `purge`. */
  kept_rule?: KeptFiles['rule'] | 'purge'
}

export async function uninstallGame(game: GamePaths, options: UninstallOptions = {}): Promise<UninstallResult> {
  if (!(await isInstalled(game))) return {id: game.id, action: 'not_installed'}
  if (!options.purge) await assertKeptIsFolder(game)
  await writeIntent(game, 'Uninstalling')
  failpoint('uninstall.intent-written')
  await renameDurably(game.local, game.backup, game.root)
  failpoint('uninstall.backup-moved')
  const kept = options.purge ? await purge(game) : await keepBackup(game, () => failpoint('uninstall.extracted-deleted'))
  failpoint(options.purge ? 'uninstall.backup-deleted' : 'uninstall.kept-moved')
  await writeIntent(game, 'None')
  failpoint('uninstall.intent-cleared')
  return {id: game.id, action: 'uninstalled', kept: kept.kept, kept_rule: kept.rule}
}

async function purge(game: GamePaths): Promise<{kept: string[]; rule: 'purge'}> {
  await removeTree(game.backup, game.root)
  return {kept: [], rule: 'purge'}
}
