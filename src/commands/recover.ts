import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {reportFailure} from '../cli/failure.js'
import {table} from '../cli/render.js'
import type {RecoverResult} from '../control/operation-documents.js'
import {LanspreadError} from '../errors.js'

export default class Recover extends LanspreadCommand {
  static override summary = 'Repair game folders after a crash: finish or undo interrupted installs, updates and uninstalls.'
  static override description =
    "Removes download scratch files, then combines each game's intent log (.lanspread.json) with what is on disk and rolls the game forward or back. " +
    "Folders that are not lanspread's are never touched. Without IDs, every game folder is recovered. Exits with the busy code if a game was skipped because an operation holds it."

  static override examples = ['<%= config.bin %> recover', '<%= config.bin %> recover quake3 --dry-run --json']
  static override strict = false
  static override args = {ids: Args.string({description: 'game IDs (default: every game folder)'})}
  static override flags = {'dry-run': Flags.boolean({description: 'print the plan and change nothing (no lock, no index, no file written)'})}

  async run(): Promise<RecoverResult | undefined> {
    const {argv, flags} = await this.parse(Recover)
    const paths = this.resolvePaths(flags)
    const ids = argv.map(String)
    const notice = {message: 'recover stopped before every game was repaired', hint: 'run `lanspread recover` again: it picks up where it stopped'}
    const {games} = await this.withApi(paths, (api) => api.recover({ids, dry_run: flags['dry-run']}, {onDiskWork: () => this.setInterruptNotice(notice)}))
    if (!this.jsonEnabled()) {
      this.log(
        games.length === 0
          ? 'No game folders.'
          : table(
              ['ID', 'INTENT', flags['dry-run'] ? 'PLAN' : 'ACTION', 'STEPS'],
              games.map((g) => [g.id, 'intent' in g ? g.intent : '-', g.action, g.description]),
            ),
      )
    }
    const unrecovered = games.filter((g) => 'code' in g)
    if (unrecovered.length === 0) return {games}
    const first = unrecovered[0]!
    const error = new LanspreadError(first.code, `not recovered: ${unrecovered.map((g) => `${g.id} (${g.action})`).join(', ')}`, {
      hint:
        unrecovered.length === 1
          ? `see the table above; run \`lanspread recover ${first.id}\` again once the cause is gone`
          : 'see the table above; run `lanspread recover` again once the causes are gone',
    })
    if (!this.jsonEnabled()) throw error
    // One document: the error a script checks for, and every game's report beside it.
    reportFailure(
      {code: error.code, message: error.message, hint: 'see "games" for each game\'s reason; run `lanspread recover` again once the cause is gone'},
      true,
      {games},
    )
    return undefined
  }
}
