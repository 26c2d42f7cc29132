import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {byteProgressBar} from '../cli/progress.js'
import {runServeJob} from '../cli/serve-job.js'
import type {InstallResult} from '../control/operation-documents.js'
import type {ExtractionProgress} from '../ops/staging.js'

export default class Install extends LanspreadCommand {
  static override summary = 'Install a downloaded game into its local/ folder, or reinstall it with --update.'
  static override description =
    'Extracts the root-level .eti archives (tar, tar.gz or zip, detected from their bytes) into .local.installing/ and renames it to local/. ' +
    'Crash-safe: an interrupted install is rolled back or forward by `lanspread recover`. ' +
    'Installing an installed game changes nothing; --update reinstalls from the current archives and keeps what you made in local/ (files the previous install did not extract, or that you changed since); --update --clean replaces everything.'

  static override examples = [
    '<%= config.bin %> install quake3',
    '<%= config.bin %> install quake3 --update --json',
    '<%= config.bin %> install quake3 --update --clean',
  ]

  static override args = {id: Args.string({description: 'the game ID', required: true})}
  static override flags = {
    update: Flags.boolean({description: 'reinstall from the current archives, keeping the files you made or changed in local/'}),
    clean: Flags.boolean({description: 'with --update: replace local/ entirely, keeping nothing', dependsOn: ['update']}),
  }

  async run(): Promise<InstallResult> {
    const {args, flags} = await this.parse(Install)
    const id = args.id
    // Through serve, Ctrl-C asks serve to cancel, and serve finishes an install (see docs/decisions/0014-cancel-through-serve.md).
    const job = {what: `the install of ${id}`, resumeHint: `run \`lanspread install ${id}\` again`, takeInterrupts: this.takeInterrupts.bind(this)}
    const bar = byteProgressBar(!this.jsonEnabled())
    const onProgress = ({archive, bytesRead, totalBytes}: ExtractionProgress): void => bar.update(bytesRead, totalBytes, archive)
    // While serve runs it owns every operation: it installs, and the game shows busy to everyone meanwhile.
    const {result, lateSignal} = await this.withApi(this.resolvePaths(flags), async (api) => {
      try {
        return await runServeJob(job, (hooks) =>
          api.install({id, update: flags.update, clean: flags.clean}, {...hooks, onDiskWork: () => this.explainInterrupt(id), onProgress}),
        )
      } finally {
        bar.stop()
      }
    })
    if (lateSignal) this.warnLine(`serve finished the install of ${id} despite Ctrl-C: an install through serve is not stopped midway`)
    return this.report(id, result)
  }

  private report(id: string, result: InstallResult): InstallResult {
    if (result.recovered) this.log(`${id}: first recovered an interrupted operation (${result.recovered.description})`)
    this.log(
      result.action === 'already_installed'
        ? `${id} is already installed; local/ was left as it is (use --update to reinstall)`
        : `${id} ${result.action} from ${result.archives.join(', ')}${keptText(result)}`,
    )
    if (result.kept_rule === 'no_record')
      this.warnLine(`${id}: local/ had no install record (an older lanspread made it), so only files the new archives do not have were kept`)
    return result
  }
}

function keptText(result: InstallResult): string {
  if (result.kept_rule === undefined) {
    const count = result.kept?.length ?? 0
    return count === 0 ? '' : `; brought back ${count} ${count === 1 ? 'entry' : 'entries'} kept at uninstall (.lanspread-kept/)`
  }
  if (result.kept_rule === 'clean') return '; local/ replaced entirely (--clean)'
  const count = result.kept?.length ?? 0
  return `; kept ${count} ${count === 1 ? 'entry' : 'entries'} you made or changed in local/`
}
