// The entry point behind bin/run.js and bin/dev.js: oclif's run, plus one promise it does
// not keep by itself: under --json, an error no command caught (help, autocomplete, a plugin)
// still ends as the one JSON error document on stdout. A plain `scan` skips oclif (fast-scan.ts),
// so @oclif/core, and everything else, is imported only past that point.
import {handleClosedOutput} from './closed-output.js'
import {fastScanFlags} from './fast-scan-flags.js'

export interface MainOptions {
  /** import.meta.url of the bin script: where oclif finds package.json. */
  dir: string
  /** Run the TypeScript sources (bin/dev.js). */
  development?: boolean
}

/**
 * fast-scan.ts as the build bundled it (scripts/bundle-fast-scan.mjs), relative to dist/cli/.
 * A variable, so that TypeScript does not look for it among the sources.
 */
const FAST_SCAN_BUNDLE = '../bundle/fast-scan.js'

type FastScanModule = typeof import('./fast-scan.js')

export async function main({dir, development = false}: MainOptions): Promise<void> {
  if (development) process.env.NODE_ENV = 'development'
  const argv = process.argv.slice(2)
  handleClosedOutput(argv[0] === 'serve')
  const fast = fastScanFlags(argv)
  if (fast) return (await loadFastScan(development)).runFastScan(fast)
  const [{flush, handle, run, settings}, {argvWantsJson, reportFailure, toFailure}] = await Promise.all([import('@oclif/core'), import('./failure.js')])
  if (development) settings.debug = true
  try {
    await run(argv, dir)
    await flush()
  } catch (error) {
    if (!argvWantsJson(argv) || !(error instanceof Error) || isExit(error)) {
      await handle(error as Error)
      return
    }
    reportFailure(toFailure(error), true)
    if (process.env.LANSPREAD_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`)
  }
}

/** The bundle, or the same code as loose modules: from the sources, or from a build made without its last step (tsc alone). */
async function loadFastScan(development: boolean): Promise<FastScanModule> {
  if (development) return import('./fast-scan.js')
  try {
    return (await import(FAST_SCAN_BUNDLE)) as FastScanModule
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    return import('./fast-scan.js')
  }
}

/** oclif's this.exit(0) travels as an error too; it is not a failure. */
function isExit(error: Error): boolean {
  return error.constructor.name === 'ExitError'
}
