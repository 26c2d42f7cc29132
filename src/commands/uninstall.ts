import {Args} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import type {LanspreadPaths} from '../config.js'
import {requestServe} from '../control/attach.js'
import type {OperationResult} from '../ops/game-operations.js'
import {openOperations} from '../ops/open.js'
import type {UninstallResult} from '../ops/uninstall.js'

export default class Uninstall extends LanspreadCommand {
  static override summary = "Remove a game's install (its local/ folder, with everything in it)."
  static override description = 'The downloaded archives stay. Crash-safe: local/ is first moved to .local.backup/, which `lanspread recover` finishes deleting after a crash.'
  static override examples = ['<%= config.bin %> uninstall quake3', '<%= config.bin %> uninstall quake3 --json']

  static override args = {id: Args.string({description: 'the game ID', required: true})}

  async run() {
    const {args, flags} = await this.parse(Uninstall)
    const paths = this.resolvePaths(flags)
    const viaServe = await requestServe<OperationResult<UninstallResult>>(paths, 'uninstall', {id: args.id})
    const result = viaServe?.result ?? (await this.uninstallOnDisk(paths, args.id))
    if (result.recovered) this.log(`${args.id}: first recovered an interrupted operation (${result.recovered.description})`)
    this.log(result.action === 'uninstalled' ? `${args.id} uninstalled` : `${args.id} is not installed; nothing to do`)
    return result
  }

  private async uninstallOnDisk(paths: LanspreadPaths, id: string): Promise<OperationResult<UninstallResult>> {
    const operations = await openOperations(paths, {warn: (m) => this.warnLine(m)})
    this.explainInterrupt(id)
    return operations.uninstall(id)
  }
}
