// `lanspread scan` without oclif: loading oclif (its config, plugins and manifest) costs
// ~130 ms of CPU, a third of a warm scan of 5,000 games from a fresh process. main.ts comes
// here for the command lines fast-scan-flags.ts accepts. The build bundles this module with
// everything it loads into dist/bundle/ (scripts/bundle-fast-scan.mjs): one file loads
// ~20 ms faster than the ~35 modules it holds.
import {resolvePaths} from '../config.js'
import type {FastScanFlags} from './fast-scan-flags.js'
import {reportFailure, toFailure, writeJson} from './failure.js'
import {commandInterruptNotice, handleInterrupts} from './interrupt.js'
import {scanLibrary, scanLines} from './scan-library.js'

/** Runs the scan as the oclif command would: same output, warnings, errors and exit codes. */
export async function runFastScan(flags: FastScanFlags): Promise<void> {
  handleInterrupts(
    () => commandInterruptNotice('scan'),
    () => flags.json,
  )
  try {
    const paths = resolvePaths({games: flags.games, stateDir: flags['state-dir'], catalog: flags.catalog})
    const document = await scanLibrary(paths, {full: flags.full}, (message) => process.stderr.write(`warning: ${message}\n`))
    if (flags.json) writeJson(document)
    else process.stdout.write(`${scanLines(document).join('\n')}\n`)
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    reportFailure(toFailure(failure), flags.json)
    if (process.env.LANSPREAD_DEBUG && failure.stack) process.stderr.write(`${failure.stack}\n`)
  }
}
