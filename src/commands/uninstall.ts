import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import type {LanspreadPaths} from '../config.js'
import {requestServe} from '../control/attach.js'
import type {OperationResult} from '../ops/game-operations.js'
import {openOperations} from '../ops/open.js'
import type {UninstallResult} from '../ops/uninstall.js'

export default class Uninstall extends LanspreadCommand {
  static override summary = "Remove a game's install (its local/ folder), keeping what you made there."
  static override description =
    'The downloaded archives stay. What you made or changed in local/ (saves, configs) is kept in <game>/.lanspread-kept/ and comes back at the next install; --purge deletes it too. ' +
    'Crash-safe: local/ is first moved to .local.backup/, which `lanspread recover` finishes after a crash.'

  static override examples = ['<%= config.bin %> uninstall quake3', '<%= config.bin %> uninstall quake3 --purge --json']

  static override args = {id: Args.string({description: 'the game ID', required: true})}
  static override flags = {purge: Flags.boolean({description: 'delete what you made in local/ too, instead of keeping it'})}

  async run() {
    const {args, flags} = await this.parse(Uninstall)
    const paths = this.resolvePaths(flags)
    const viaServe = await requestServe<OperationResult<UninstallResult>>(paths, 'uninstall', {id: args.id, purge: flags.purge})
    const result = viaServe?.result ?? (await this.uninstallOnDisk(paths, args.id, flags.purge))
    if (result.recovered) this.log(`${args.id}: first recovered an interrupted operation (${result.recovered.description})`)
    this.log(result.action === 'uninstalled' ? `${args.id} uninstalled${keptText(result)}` : `${args.id} is not installed; nothing to do`)
    return result
  }

  private async uninstallOnDisk(paths: LanspreadPaths, id: string, purge: boolean): Promise<OperationResult<UninstallResult>> {
    const operations = await openOperations(paths, {warn: (m) => this.warnLine(m)})
    this.explainInterrupt(id)
    return operations.uninstall(id, {purge})
  }
}

function keptText(result: UninstallResult): string {
  if (result.kept_rule === 'purge') return '; what you made in local/ was deleted too (--purge)'
  const count = result.kept?.length ?? 0
  if (count === 0) return '; you had made nothing in local/ to keep'
  const rule = result.kept_rule === 'no_record' ? ' (no install record: everything in local/ was kept)' : ''
  return `; kept ${count} ${count === 1 ? 'entry' : 'entries'} you made or changed in .lanspread-kept/${rule}: ${result.kept!.slice(0, 5).join(', ')}${count > 5 ? ', …' : ''} (they come back at the next install)`
}
