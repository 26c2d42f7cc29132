import {Args} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {openOperations} from '../ops/open.js'

export default class Uninstall extends LanspreadCommand {
  static override summary = "Remove a game's install (its local/ folder, with everything in it)."
  static override description = 'The downloaded archives stay. Crash-safe: local/ is first moved to .local.backup/, which `lanspread recover` finishes deleting after a crash.'
  static override examples = ['<%= config.bin %> uninstall quake3', '<%= config.bin %> uninstall quake3 --json']

  static override args = {id: Args.string({description: 'the game ID', required: true})}

  async run() {
    const {args, flags} = await this.parse(Uninstall)
    const operations = await openOperations(this.resolvePaths(flags), {warn: (m) => this.warnLine(m)})
    this.explainInterrupt(args.id)
    const result = await operations.uninstall(args.id)
    if (result.recovered) this.log(`${args.id}: first recovered an interrupted operation (${result.recovered.description})`)
    this.log(result.action === 'uninstalled' ? `${args.id} uninstalled` : `${args.id} is not installed; nothing to do`)
    return result
  }
}
