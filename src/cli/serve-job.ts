// A fetch or install that serve may run for this command as a job: while it runs there, Ctrl-C
// sends `cancel` for that job, and the command reports what happened — cancelled in serve, or
// finished anyway. On disk the API never offers a cancel, and Ctrl-C ends the process as usual.
import type {JobHooks} from '../api/lanspread-api.js'
import {LanspreadError, isLanspreadError} from '../errors.js'
import {EXIT_CODES} from './exit-codes.js'
import {SIGNAL_CODES, type StopSignal} from './interrupt.js'

export interface ServeJob {
  /** Names the work in messages, e.g. "the fetch of quake3". */
  what: string
  /** Says how the work resumes, for a cancelled job. */
  resumeHint: string
  /** Installs (or, with undefined, removes) the command's Ctrl-C handler. */
  takeInterrupts(handler: ((signal: StopSignal) => void) | undefined): void
}

/** The call's result, and the signal that came too late to stop it (serve had finished, or it cannot stop). */
export async function runServeJob<T>(job: ServeJob, call: (hooks: JobHooks) => Promise<T>): Promise<{result: T; lateSignal?: StopSignal}> {
  let signal: StopSignal | undefined
  const hooks: JobHooks = {
    onCancellable(cancel) {
      if (!cancel) {
        job.takeInterrupts(undefined)
        return
      }
      job.takeInterrupts((received) => {
        if (signal) {
          // A second Ctrl-C stops waiting: serve carries on with whatever it could not cancel.
          process.stderr.write(`\nStopped waiting for serve: ${job.what} may still be running in serve (see \`lanspread status\`)\n`)
          process.exit(EXIT_CODES[SIGNAL_CODES[received]])
        }
        signal = received
        process.stderr.write(`\nCancelling ${job.what} in serve…\n`)
        void cancel().then((answer) => {
          if (answer?.outcome === 'not_cancellable')
            process.stderr.write(`serve does not stop ${job.what} midway: it finishes it (Ctrl-C again stops waiting)\n`)
        })
      })
    },
  }
  try {
    const result = await call(hooks)
    return signal ? {result, lateSignal: signal} : {result}
  } catch (error) {
    if (signal && isLanspreadError(error, 'interrupted')) {
      throw new LanspreadError(SIGNAL_CODES[signal], `interrupted: ${job.what} was cancelled in serve`, {hint: job.resumeHint})
    }
    throw error
  }
}
