import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {byteProgressBar} from '../cli/progress.js'
import {openOperations} from '../ops/open.js'

export default class Install extends LanspreadCommand {
  static override summary = 'Install a downloaded game into its local/ folder, or reinstall it with --update.'
  static override description =
    'Extracts the root-level .eti archives (tar, tar.gz or zip, detected from their bytes) into .local.installing/ and renames it to local/. ' +
    'Crash-safe: an interrupted install is rolled back or forward by `lanspread recover`. ' +
    'Installing an installed game changes nothing; --update replaces local/ with a fresh install from the current archives (files you added to local/ are removed).'

  static override examples = ['<%= config.bin %> install quake3', '<%= config.bin %> install quake3 --update --json']

  static override args = {id: Args.string({description: 'the game ID', required: true})}
  static override flags = {update: Flags.boolean({description: 'reinstall from the current archives, replacing local/'})}

  async run() {
    const {args, flags} = await this.parse(Install)
    const operations = await openOperations(this.resolvePaths(flags), {warn: (m) => this.warnLine(m)})
    this.explainInterrupt(args.id)
    const bar = byteProgressBar(!this.jsonEnabled())
    try {
      const result = await operations.install(args.id, {
        update: flags.update,
        onProgress: ({archive, bytesRead, totalBytes}) => bar.update(bytesRead, totalBytes, archive),
      })
      bar.stop()
      if (result.recovered) this.log(`${args.id}: first recovered an interrupted operation (${result.recovered.description})`)
      this.log(
        result.action === 'already_installed'
          ? `${args.id} is already installed; local/ was left as it is (use --update to reinstall)`
          : `${args.id} ${result.action} from ${result.archives.join(', ')}`,
      )
      return result
    } finally {
      bar.stop()
    }
  }
}
