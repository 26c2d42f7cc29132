// Recovery of one game folder after a crash: sweep download scratch and intent-log temps,
// then combine the intent with what is on disk (recovery-table.ts) and roll the game
// forward or back. Idempotent: a crash during recovery is repaired by the next one.
import {LanspreadError} from '../errors.js'
import {removeTree, renameDurably} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import {BACKUP_DIR, type GamePaths, INSTALLING_DIR, OWNED_MARKER} from '../library/layout.js'
import {type ObservedIntent, readIntent, sweepIntentTemps, writeIntent} from './intent-log.js'
import {type Presence, type RecoveryOutcome, type RecoveryStep, decide, describeSteps} from './recovery-table.js'
import {keepBackup} from './kept.js'
import {sentinelScratch, sweepSentinelScratch} from '../library/sentinel.js'

export interface Observation {
  local: boolean
  installing: Presence
  backup: Presence
  /** Download scratch files present at the root. */
  scratch: string[]
  /** Reserved names taken by something that is not a folder: never ours, left alone. */
  not_folders: string[]
}

export interface RecoveryReport {
  id: string
  intent: ObservedIntent
  observed: Observation
  /** The table's outcome, or scratch_removed when download scratch was all there was to repair. */
  action: RecoveryOutcome | 'scratch_removed'
  steps: RecoveryStep[]
  description: string
}

export async function observe(game: GamePaths): Promise<Observation> {
  const [local, installing, backup, scratch] = await Promise.all([
    lstatOrNull(game.local),
    presence(game.installing),
    presence(game.backup),
    sentinelScratch(game),
  ])
  const notFolders = [INSTALLING_DIR, BACKUP_DIR].filter((_, i) => [installing, backup][i] === 'not_a_folder')
  return {local: local?.isDirectory() ?? false, installing: asPresence(installing), backup: asPresence(backup), scratch, not_folders: notFolders}
}

/** Something that is not a real folder was never made by lanspread: the table sees it as absent. */
function asPresence(found: Presence | 'not_a_folder'): Presence {
  return found === 'not_a_folder' ? 'absent' : found
}

async function presence(dir: string): Promise<Presence | 'not_a_folder'> {
  const stat = await lstatOrNull(dir)
  if (!stat) return 'absent'
  if (!stat.isDirectory()) return 'not_a_folder'
  return (await lstatOrNull(`${dir}/${OWNED_MARKER}`))?.isFile() ? 'marked' : 'unmarked'
}

export interface RecoverOptions {
  /** Plan only: write nothing. */
  dryRun?: boolean
  /**
   * Only the steps that need no new space (sweeps, deletions, renames); the intent is left
   * for a later run. For a full disk, before the lock (which needs space) can be taken.
   */
  spaceFreeingOnly?: boolean
}

/** Plans (dryRun) or carries out the recovery of one game. The caller holds its lock (see spaceFreeingOnly). */
export async function recoverGame(game: GamePaths, options: RecoverOptions = {}): Promise<RecoveryReport> {
  const intent = await readIntent(game)
  const observed = await observe(game)
  const {steps, outcome} = decide(intent, observed.local, observed.installing, observed.backup)
  const sweep = observed.scratch.length > 0
  const texts = [...(sweep ? [`remove ${observed.scratch.join(', ')}`] : []), ...describeSteps(steps)]
  const action = outcome === 'nothing_to_do' && sweep ? 'scratch_removed' : outcome
  const report: RecoveryReport = {id: game.id, intent, observed, action, steps, description: texts.join('; ') || 'nothing to do'}
  if (options.dryRun) return report
  if (sweep) await sweepSentinelScratch(game)
  await sweepIntentTemps(game)
  for (const step of steps) {
    if (options.spaceFreeingOnly && step === 'clear_intent') continue
    await applyStep(game, step)
  }
  return report
}

async function applyStep(game: GamePaths, step: RecoveryStep): Promise<void> {
  switch (step) {
    case 'delete_installing':
      return removeTree(game.installing, game.root)
    case 'delete_backup':
      return removeTree(game.backup, game.root)
    case 'restore_backup':
      return restoreBackup(game)
    case 'keep_backup':
      return keepBackup(game).then(() => undefined)
    case 'clear_intent':
      return writeIntent(game, 'None')
  }
}

async function restoreBackup(game: GamePaths): Promise<void> {
  if (await lstatOrNull(game.local)) {
    throw new LanspreadError('invalid_input', `game ${game.id}: cannot put ${game.backup} back, ${game.local} exists and is not a folder`, {
      hint: `move ${game.local} out of the game folder, then run \`lanspread recover ${game.id}\` again`,
    })
  }
  await renameDurably(game.backup, game.local, game.root)
}
