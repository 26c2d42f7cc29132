// Ctrl-C (SIGINT) and SIGTERM (on Windows Ctrl-Break and a closed console, see stop-signals) during a command: stop at once, as a crash would (intent
// logs make that safe), but say what happened and how to repair it, as JSON under --json.
import {EXIT_CODES} from './exit-codes.js'
import {type Failure, reportFailure} from './failure.js'
import {SIGNAL_CODES, type StopSignal, stopSignals} from './stop-signals.js'

export {SIGNAL_CODES, type StopSignal} from './stop-signals.js'

export interface InterruptNotice {
  /** What was left behind, e.g. "quake3 is left for recovery". */
  message: string
  /** How it gets repaired or what to do next. */
  hint: string
}

/**
 * Installs the handlers; `notice` is read when a signal arrives, so it can name the game chosen
 * later. `takeover` returns a handler while a command waits on serve: it cancels serve's work
 * and reports what happened itself, instead of exiting at once.
 */
export function handleInterrupts(
  notice: () => InterruptNotice,
  json: () => boolean,
  takeover: () => ((signal: StopSignal) => void) | undefined = () => undefined,
): void {
  for (const signal of stopSignals()) {
    process.on(signal, () => {
      const handler = takeover()
      if (handler) return handler(signal)
      // The progress bar hides the cursor; give it back to the terminal.
      if (process.stderr.isTTY) process.stderr.write('\u001B[?25h')
      const {message, hint} = notice()
      const failure: Failure = {code: SIGNAL_CODES[signal], message: `interrupted: ${message}`, hint}
      if (json()) reportFailure(failure, true)
      else process.stderr.write(`\nInterrupted: ${message}; ${hint}\n`)
      process.exit(EXIT_CODES[failure.code])
    })
  }
}

/** What Ctrl-C says during a command that changes no game. */
export function commandInterruptNotice(command: string | undefined): InterruptNotice {
  return {message: `lanspread ${command} stopped`, hint: 'run it again'}
}

export function gameInterruptNotice(id: string): InterruptNotice {
  return {message: `${id} is left for recovery`, hint: `the next operation on it repairs it first, or run \`lanspread recover ${id}\``}
}
