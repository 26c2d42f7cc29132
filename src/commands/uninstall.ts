import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import type {UninstallResult} from '../control/operation-documents.js'

export default class Uninstall extends LanspreadCommand {
  static override summary = "Remove a game's install (its local/ folder), keeping what you made there."
  static override description =
    'The downloaded archives stay. What you made or changed in local/ (saves, configs) is kept in <game>/.lanspread-kept/ and comes back at the next install; --purge deletes it too. ' +
    'Crash-safe: local/ is first moved to .local.backup/, which `lanspread recover` finishes after a crash.'

  static override examples = ['<%= config.bin %> uninstall quake3', '<%= config.bin %> uninstall quake3 --purge --json']

  static override args = {id: Args.string({description: 'the game ID', required: true})}
  static override flags = {purge: Flags.boolean({description: 'delete what you made in local/ too, instead of keeping it'})}

  async run(): Promise<UninstallResult> {
    const {args, flags} = await this.parse(Uninstall)
    const result = await this.withApi(this.resolvePaths(flags), (api) =>
      api.uninstall({id: args.id, purge: flags.purge}, {onDiskWork: () => this.explainInterrupt(args.id)}),
    )
    if (result.recovered) this.log(`${args.id}: first recovered an interrupted operation (${result.recovered.description})`)
    this.log(result.action === 'uninstalled' ? `${args.id} uninstalled${keptText(result)}` : `${args.id} is not installed; nothing to do`)
    return result
  }
}

function keptText(result: UninstallResult): string {
  if (result.kept_rule === 'purge') return '; what you made in local/ was deleted too (--purge)'
  const count = result.kept?.length ?? 0
  if (count === 0) return '; you had made nothing in local/ to keep'
  const rule = result.kept_rule === 'no_record' ? ' (no install record: everything in local/ was kept)' : ''
  return `; kept ${count} ${count === 1 ? 'entry' : 'entries'} you made or changed in .lanspread-kept/${rule}: ${result.kept!.slice(0, 5).join(', ')}${count > 5 ? ', …' : ''} (they come back at the next install)`
}
