// What `lanspread scan` does and prints, shared by the oclif command (commands/scan.ts) and
// the fast path that runs it without oclif (fast-scan.ts), so both give the same output.
import {libraryWarnings} from '../api/library-warnings.js'
import {withApi} from '../api/open-api.js'
import type {LanspreadPaths} from '../config.js'
import type {ScanResult} from '../control/library-documents.js'
import {gamesTable} from './render.js'

/** What `scan --json` prints. */
export type ScanDocument = ScanResult

/**
 * Refreshes and saves the index, through serve when it runs (it owns the index and every
 * operation, so availability is right); warnings (ignored names, skipped or interrupted
 * games) go to `warn`.
 */
export async function scanLibrary(paths: LanspreadPaths, options: {full: boolean}, warn: (message: string) => void): Promise<ScanDocument> {
  const document = await withApi({paths, warn}, (api) => api.scan({full: options.full}))
  const {games, scan: report} = document
  if (report.ignored.length > 0) warn(`ignored (not a game folder): ${report.ignored.join(', ')}`)
  for (const line of libraryWarnings(games, report.skipped)) warn(line)
  return document
}

/** The human output: the table, a blank line, the one-line report. (Under --json the document is the output.) */
export function scanLines({library_rev, games, scan: report}: ScanDocument): string[] {
  return [
    gamesTable(games),
    '',
    `library_rev ${library_rev}: ${report.scanned} game folders, ${report.reused} reused, ` +
      `${report.rescanned.length} rescanned${report.rescanned.length ? ` (${report.rescanned.join(', ')})` : ''} in ${report.elapsed_ms} ms`,
  ]
}
