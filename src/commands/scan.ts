import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {type ScanDocument, scanLibrary, scanLines} from '../cli/scan-library.js'

export type {ScanDocument} from '../cli/scan-library.js'

// `lanspread scan` with plain flags usually runs through cli/fast-scan.ts, without oclif; this
// command serves every other form (--help, a flag given twice, LANSPREAD_CONTENT_TYPE, …).
export default class Scan extends LanspreadCommand {
  static override summary = 'Refresh the library index from the game folders and print the library.'
  static override description =
    'Unchanged games (same fingerprint: root-level .eti files, version.ini, local/) reuse their cached manifest; --full walks every game folder.'
  static override examples = ['<%= config.bin %> scan', '<%= config.bin %> scan --full --json', 'LANSPREAD_GAMES=/srv/games <%= config.bin %> scan']

  static override flags = {
    full: Flags.boolean({description: 'walk every game folder, even those whose fingerprint is unchanged'}),
  }

  async run(): Promise<ScanDocument> {
    const {flags} = await this.parse(Scan)
    const document = await scanLibrary(this.resolvePaths(flags), {full: flags.full}, (m) => this.warnLine(m))
    // Under --json the document is the output: building a table for 5,000 games only to drop it costs time.
    if (!this.jsonEnabled()) for (const line of scanLines(document)) this.log(line)
    return document
  }
}
