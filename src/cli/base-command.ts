// What every lanspread command shares: the global flags (--games, --state-dir, --catalog,
// --json), resolution of paths, and one way of reporting errors (message, hint, exit code;
// a JSON error document under --json; never a stack trace unless LANSPREAD_DEBUG is set).
import {Command, Flags} from '@oclif/core'
import {type LanspreadPaths, resolvePaths} from '../config.js'
import {type ErrorCode, isLanspreadError} from '../errors.js'
import {EXIT_CODES} from './exit-codes.js'

export abstract class LanspreadCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    games: Flags.string({
      description: 'games folder [default: ./games]',
      env: 'LANSPREAD_GAMES',
      helpGroup: 'GLOBAL',
    }),
    'state-dir': Flags.string({description: "this peer's state folder [default: <games>/.lanspread]", helpGroup: 'GLOBAL'}),
    catalog: Flags.string({description: 'catalog file [default: <games>/catalog.json]', helpGroup: 'GLOBAL'}),
  }

  protected resolvePaths(flags: {games?: string | undefined; 'state-dir'?: string | undefined; catalog?: string | undefined}): LanspreadPaths {
    return resolvePaths({games: flags.games, stateDir: flags['state-dir'], catalog: flags.catalog})
  }

  /**
   * Ctrl-C during an operation: stop at once, as a crash would (the intent log makes that
   * safe), but say what happened and how the game gets repaired.
   */
  protected explainInterrupt(id: string): void {
    process.once('SIGINT', () => {
      // The progress bar hides the cursor; give it back to the terminal.
      if (process.stderr.isTTY) process.stderr.write('\u001B[?25h')
      process.stderr.write(`\nInterrupted: ${id} is left for recovery; the next operation on it repairs it first, or run \`lanspread recover ${id}\`\n`)
      process.exit(130)
    })
  }

  /** Warnings and progress go to stderr so stdout stays one JSON document under --json. */
  protected warnLine(message: string): void {
    process.stderr.write(`warning: ${message}\n`)
  }

  override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    const failure = toFailure(error)
    process.exitCode = EXIT_CODES[failure.code]
    if (this.jsonEnabled()) {
      this.logJson({error: failure})
    } else {
      process.stderr.write(`Error: ${failure.message}\n`)
      if (failure.hint) process.stderr.write(`Hint: ${failure.hint}\n`)
    }
    if (process.env.LANSPREAD_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`)
    return undefined
  }
}

interface Failure {
  code: ErrorCode
  message: string
  hint?: string
}

function toFailure(error: Error & {oclif?: {exit?: number}}): Failure {
  if (isLanspreadError(error)) return {code: error.code, message: error.message, ...(error.hint ? {hint: error.hint} : {})}
  // oclif's own parse errors (unknown flag, missing argument, bad value) exit with 2.
  if (error.oclif?.exit === 2 || /Parse|Flag|Arg/.test(error.constructor.name)) {
    return {code: 'usage', message: oneLine(error.message), hint: 'see `lanspread COMMAND --help` for the flags and arguments'}
  }
  return {
    code: 'internal',
    message: firstLine(error.message) || String(error),
    hint: 'this is a bug in lanspread; run again with LANSPREAD_DEBUG=1 and report the output',
  }
}

/** oclif spreads a parse error over lines ("Missing 1 required arg:\nid  the game ID\nSee more help…"). */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('See more help'))
    .join(' ')
    .replace(/\s+/g, ' ')
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? ''
}

