// What `lanspread scan` does and prints, shared by the oclif command (commands/scan.ts) and
// the fast path that runs it without oclif (fast-scan.ts), so both give the same output.
import type {LanspreadPaths} from '../config.js'
import {requestServe} from '../control/attach.js'
import {openLocalState} from '../library/open.js'
import type {ScanReport} from '../library/scanner.js'
import type {GameSummary} from '../library/summary.js'
import {gamesTable, libraryWarnings} from './render.js'

export interface ScanDocument {
  library_epoch: string
  library_rev: number
  library_digest: string
  games: GameSummary[]
  scan: ScanReport
}

/**
 * Refreshes and saves the index, through serve when it runs (it owns the index and every
 * operation, so availability is right); warnings (ignored names, skipped or interrupted
 * games) go to `warn`.
 */
export async function scanLibrary(paths: LanspreadPaths, options: {full: boolean}, warn: (message: string) => void): Promise<ScanDocument> {
  const viaServe = await requestServe<ScanDocument>(paths, 'scan', {full: options.full})
  const document = viaServe?.result ?? (await scanOnDisk(paths, options.full, warn))
  const {games, scan: report} = document
  if (report.ignored.length > 0) warn(`ignored (not a game folder): ${report.ignored.join(', ')}`)
  for (const line of libraryWarnings(games, report.skipped)) warn(line)
  return document
}

async function scanOnDisk(paths: LanspreadPaths, full: boolean, warn: (message: string) => void): Promise<ScanDocument> {
  const {library} = await openLocalState(paths, {logger: {warn}})
  const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({full})
  return {library_epoch, library_rev, library_digest, games, scan: report}
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
