// The documents of the operations on the control socket: `install` (and `--update`),
// `uninstall` and `recover`, as ops/ returns them; each schema is checked against ops' type.
import {z} from 'zod'
import {ERROR_CODES} from '../errors.js'
import type {OperationResult, UnrecoveredReport} from '../ops/game-operations.js'
import type {InstallResult as OpsInstallResult} from '../ops/install.js'
import type {RecoveryReport} from '../ops/recovery.js'
import type {UninstallResult as OpsUninstallResult} from '../ops/uninstall.js'
import {assertSameType} from './same-type.js'

const PresenceSchema = z.enum(['absent', 'marked', 'unmarked'])

export const RecoveryReportSchema = z.object({
  id: z.string(),
  intent: z.enum(['None', 'Installing', 'Updating', 'Uninstalling', 'Unreadable']),
  observed: z.object({
    local: z.boolean(),
    installing: PresenceSchema,
    backup: PresenceSchema,
    scratch: z.array(z.string()),
    not_folders: z.array(z.string()),
  }),
  action: z.enum(['nothing_to_do', 'intent_cleared', 'rolled_back', 'rolled_forward', 'scratch_removed']),
  steps: z.array(z.enum(['delete_installing', 'delete_backup', 'restore_backup', 'keep_backup', 'clear_intent'])),
  description: z.string(),
})
assertSameType<z.infer<typeof RecoveryReportSchema>, RecoveryReport>()

/** A game a `recover` could not repair: held by another operation, or failed. */
const UnrecoveredReportSchema = z.object({
  id: z.string(),
  action: z.enum(['busy', 'failed']),
  code: z.enum(ERROR_CODES),
  description: z.string(),
})
assertSameType<z.infer<typeof UnrecoveredReportSchema>, UnrecoveredReport>()

/** `recover`: one report per game, repaired (or planned, with dry_run) or not. */
export const RecoverResultSchema = z.object({games: z.array(z.union([RecoveryReportSchema, UnrecoveredReportSchema]))})
export type RecoverResult = z.infer<typeof RecoverResultSchema>

/** An operation first repairs what an interrupted one left; the report of that comes with its result. */
const recovered = {recovered: RecoveryReportSchema.optional()}

/** `install`: installed, updated (what was kept, by which rule) or already installed. */
export const InstallResultSchema = z.object({
  id: z.string(),
  action: z.enum(['installed', 'updated', 'already_installed']),
  archives: z.array(z.string()),
  kept: z.array(z.string()).optional(),
  kept_rule: z.enum(['record', 'no_record', 'clean']).optional(),
  ...recovered,
})
export type InstallResult = z.infer<typeof InstallResultSchema>
assertSameType<InstallResult, OperationResult<OpsInstallResult>>()

/** `uninstall`: uninstalled (what was kept in .lanspread-kept/, by which rule) or not installed. */
export const UninstallResultSchema = z.object({
  id: z.string(),
  action: z.enum(['uninstalled', 'not_installed']),
  kept: z.array(z.string()).optional(),
  kept_rule: z.enum(['record', 'no_record', 'purge']).optional(),
  ...recovered,
})
export type UninstallResult = z.infer<typeof UninstallResultSchema>
assertSameType<UninstallResult, OperationResult<OpsUninstallResult>>()
