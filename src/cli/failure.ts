// How a failure reaches the user: one JSON document on stdout under --json, else
// "Error: …" and "Hint: …" on stderr; and the exit code from the one table.
import {type ErrorCode, isLanspreadError} from '../errors.js'
import {EXIT_CODES} from './exit-codes.js'

export interface Failure {
  code: ErrorCode
  message: string
  hint?: string
}

/** The one JSON document on stdout: plain JSON.stringify, compact, one line (scripts parse it; `jq` pretty-prints). */
export function writeJson(document: unknown): void {
  // Two writes, not one string: a scan's document is megabytes, and appending the newline would copy it.
  process.stdout.write(JSON.stringify(document))
  process.stdout.write('\n')
}

/** Prints a failure and sets the exit code; `extra` adds fields beside `error` in the JSON document. */
export function reportFailure(failure: Failure, json: boolean, extra: Record<string, unknown> = {}): void {
  process.exitCode = EXIT_CODES[failure.code]
  if (json) {
    writeJson({error: failure, ...extra})
    return
  }
  process.stderr.write(`Error: ${failure.message}\n`)
  if (failure.hint) process.stderr.write(`Hint: ${failure.hint}\n`)
}

/** Whether the command line asks for JSON output (for code that runs before flags are parsed). */
export function argvWantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/** `command` names the command in the usage hint (`lanspread fetch --help`); without it, `lanspread help`. */
export function toFailure(error: Error & {oclif?: {exit?: number}}, command?: string): Failure {
  if (isLanspreadError(error)) return {code: error.code, message: error.message, ...(error.hint ? {hint: error.hint} : {})}
  // oclif's own parse errors (unknown flag, missing argument, bad value) exit with 2.
  if (error.oclif?.exit === 2 || /Parse|Flag|Arg/.test(error.constructor.name)) {
    return {
      code: 'usage',
      message: oneLine(error.message),
      hint: command ? `see \`lanspread ${command} --help\` for the flags and arguments` : 'see `lanspread help` for the commands, their flags and arguments',
    }
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
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  )
}
