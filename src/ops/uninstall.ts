// Uninstall (SPEC §3): intent, move local/ to .local.backup/, delete it, clear the
// intent. A crash after the move is rolled forward: the backup is ours to delete.
import type {GamePaths} from '../library/layout.js'
import {isInstalled} from '../library/predicates.js'
import {failpoint} from './failpoints.js'
import {writeIntent} from './intent-log.js'
import {removeTree, renameDurably} from '../fs/durable.js'

export interface UninstallResult {
  id: string
  action: 'uninstalled' | 'not_installed'
}

export async function uninstallGame(game: GamePaths): Promise<UninstallResult> {
  if (!(await isInstalled(game))) return {id: game.id, action: 'not_installed'}
  await writeIntent(game, 'Uninstalling')
  failpoint('uninstall.intent-written')
  await renameDurably(game.local, game.backup, game.root)
  failpoint('uninstall.backup-moved')
  await removeTree(game.backup, game.root)
  failpoint('uninstall.backup-deleted')
  await writeIntent(game, 'None')
  failpoint('uninstall.intent-cleared')
  return {id: game.id, action: 'uninstalled'}
}
