import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {gamesTable, libraryWarnings} from '../cli/render.js'
import {requestServe} from '../control/attach.js'
import type {LanspreadPaths} from '../config.js'
import {openLocalState} from '../library/open.js'
import type {ScanReport} from '../library/scanner.js'
import type {GameSummary} from '../library/summary.js'

export interface ScanDocument {
  library_epoch: string
  library_rev: number
  library_digest: string
  games: GameSummary[]
  scan: ScanReport
}

export default class Scan extends LanspreadCommand {
  static override summary = 'Refresh the library index from the game folders and print the library.'
  static override description = 'Unchanged games (same fingerprint: root-level .eti files, version.ini, local/) reuse their cached manifest; --full walks every game folder.'
  static override examples = ['<%= config.bin %> scan', '<%= config.bin %> scan --full --json', 'LANSPREAD_GAMES=/srv/games <%= config.bin %> scan']

  static override flags = {
    full: Flags.boolean({description: 'walk every game folder, even those whose fingerprint is unchanged'}),
  }

  async run(): Promise<ScanDocument> {
    const {flags} = await this.parse(Scan)
    const paths = this.resolvePaths(flags)
    // While serve runs it owns the index and every operation: ask it, so availability is right.
    const viaServe = await requestServe<ScanDocument>(paths, 'scan', {full: flags.full})
    const document = viaServe?.result ?? (await this.scanOnDisk(paths, flags.full))
    this.render(document)
    return document
  }

  private async scanOnDisk(paths: LanspreadPaths, full: boolean): Promise<ScanDocument> {
    const {library} = await openLocalState(paths, {logger: {warn: (m) => this.warnLine(m)}})
    const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({full})
    return {library_epoch, library_rev, library_digest, games, scan: report}
  }

  private render({library_rev, games, scan: report}: ScanDocument): void {
    if (report.ignored.length > 0) this.warnLine(`ignored (not a game folder): ${report.ignored.join(', ')}`)
    for (const line of libraryWarnings(games, report.skipped)) this.warnLine(line)
    // Under --json the document is the output: building a table for 5,000 games only to drop it costs time.
    if (!this.jsonEnabled()) {
      this.log(gamesTable(games))
      this.log('')
      this.log(
        `library_rev ${library_rev}: ${report.scanned} game folders, ${report.reused} reused, ` +
          `${report.rescanned.length} rescanned${report.rescanned.length ? ` (${report.rescanned.join(', ')})` : ''} in ${report.elapsed_ms} ms`,
      )
    }
  }
}
