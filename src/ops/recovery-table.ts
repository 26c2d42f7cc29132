// The recovery decision table: intent × what is observed in local/, .local.installing/
// and .local.backup/ (with their marker) → the steps that bring the game to the state
// before or after the interrupted operation. recovery.ts, its tests and the table in
// IMPL_DECISIONS.md are all generated from `decide` and RECOVERY_TABLE, so they agree.
import type {ObservedIntent} from './intent-log.js'

/** A reserved folder as seen on disk: absent, or present with or without our marker. */
export type Presence = 'absent' | 'marked' | 'unmarked'
export type Ownership = 'absent' | 'ours' | 'foreign'

export type RecoveryStep = 'delete_installing' | 'delete_backup' | 'restore_backup' | 'keep_backup' | 'clear_intent'
export type RecoveryOutcome = 'nothing_to_do' | 'intent_cleared' | 'rolled_back' | 'rolled_forward'

export interface RecoveryRow {
  intent: ObservedIntent
  local: boolean
  installing: Presence
  backup: Presence
  steps: RecoveryStep[]
  outcome: RecoveryOutcome
}

export const OBSERVED_INTENTS: readonly ObservedIntent[] = ['None', 'Installing', 'Updating', 'Uninstalling', 'Unreadable']
const PRESENCES: readonly Presence[] = ['absent', 'marked', 'unmarked']

/** Intents that prove ownership of a reserved folder even if its marker never reached the disk. */
const PROVES: Record<ObservedIntent, {installing: boolean; backup: boolean}> = {
  None: {installing: false, backup: false},
  Unreadable: {installing: false, backup: false},
  Installing: {installing: true, backup: false},
  Updating: {installing: true, backup: true},
  Uninstalling: {installing: false, backup: true},
}

export function ownership(intent: ObservedIntent, folder: 'installing' | 'backup', presence: Presence): Ownership {
  if (presence === 'absent') return 'absent'
  if (PROVES[intent][folder] || presence === 'marked') return 'ours'
  return 'foreign'
}

/**
 * Staging of ours is never trusted (it may be half extracted): it is deleted. A backup of
 * ours is the previous install: put back when local/ is missing (roll back), deleted when
 * the new local/ is in place; when the intent was Uninstalling, the uninstall is finished
 * (roll forward): what the user made in it is kept in .lanspread-kept/, the rest deleted.
 * Folders that are not ours are never touched. The intent is cleared last.
 */
export function decide(
  intent: ObservedIntent,
  local: boolean,
  installing: Presence,
  backup: Presence,
): Omit<RecoveryRow, 'intent' | 'local' | 'installing' | 'backup'> {
  const steps: RecoveryStep[] = []
  if (ownership(intent, 'installing', installing) === 'ours') steps.push('delete_installing')
  if (ownership(intent, 'backup', backup) === 'ours') {
    if (intent === 'Uninstalling') steps.push('keep_backup')
    else steps.push(local ? 'delete_backup' : 'restore_backup')
  }
  if (intent !== 'None') steps.push('clear_intent')
  return {steps, outcome: outcomeOf(intent, local, steps)}
}

function outcomeOf(intent: ObservedIntent, local: boolean, steps: readonly RecoveryStep[]): RecoveryOutcome {
  if (steps.includes('restore_backup')) return 'rolled_back'
  if (steps.includes('delete_backup') || steps.includes('keep_backup')) return 'rolled_forward'
  if (steps.includes('delete_installing')) return intent === 'Installing' && local ? 'rolled_forward' : 'rolled_back'
  if (steps.length === 0) return 'nothing_to_do'
  if (intent === 'Installing') return local ? 'rolled_forward' : 'rolled_back'
  return 'intent_cleared'
}

export const RECOVERY_TABLE: readonly RecoveryRow[] = OBSERVED_INTENTS.flatMap((intent) =>
  [true, false].flatMap((local) =>
    PRESENCES.flatMap((installing) => PRESENCES.map((backup) => ({intent, local, installing, backup, ...decide(intent, local, installing, backup)}))),
  ),
)

const STEP_TEXT: Record<RecoveryStep, string> = {
  delete_installing: 'delete .local.installing',
  delete_backup: 'delete .local.backup',
  restore_backup: 'rename .local.backup to local',
  keep_backup: 'keep what the user made of .local.backup in .lanspread-kept, delete the rest',
  clear_intent: 'set intent None',
}

export function describeSteps(steps: readonly RecoveryStep[]): string[] {
  return steps.map((step) => STEP_TEXT[step])
}

/** The table as Markdown, for IMPL_DECISIONS.md (a test checks that the two agree). */
export function recoveryTableMarkdown(): string {
  const header = '| intent | local/ | .local.installing | .local.backup | steps | outcome |\n| --- | --- | --- | --- | --- | --- |'
  const rows = RECOVERY_TABLE.map(
    (row) =>
      `| ${row.intent} | ${row.local ? 'dir' : 'absent'} | ${row.installing} | ${row.backup} | ${describeSteps(row.steps).join('; ') || '—'} | ${row.outcome} |`,
  )
  return [header, ...rows].join('\n')
}
