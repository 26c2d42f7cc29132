// A fetch or install that serve runs for this command, under a job token: Ctrl-C sends `cancel`
// for that job, and the command reports what happened — cancelled in serve, or finished anyway.
import {randomUUID} from 'node:crypto'
import type {ControlClient} from '../control/client.js'
import {type CancelResult, CancelResultSchema} from '../control/messages.js'
import {LanspreadError, isLanspreadError} from '../errors.js'
import {EXIT_CODES} from './exit-codes.js'
import {SIGNAL_CODES, type StopSignal} from './interrupt.js'

export interface ServeJob {
  command: 'fetch' | 'install'
  args: Record<string, unknown>
  /** Names the work in messages, e.g. "the fetch of quake3". */
  what: string
  /** Says how the work resumes, for a cancelled job. */
  resumeHint: string
  /** Installs (or, with undefined, removes) the command's Ctrl-C handler. */
  takeInterrupts(handler: ((signal: StopSignal) => void) | undefined): void
}

/** The job's result, and the signal that came too late to stop it (serve had finished, or it cannot stop). */
export async function runServeJob<T>(client: ControlClient, job: ServeJob): Promise<{result: T; lateSignal?: StopSignal}> {
  const token = randomUUID()
  let signal: StopSignal | undefined
  job.takeInterrupts((received) => {
    if (signal) {
      // A second Ctrl-C stops waiting: serve carries on with whatever it could not cancel.
      process.stderr.write(`\nStopped waiting for serve: ${job.what} may still be running in serve (see \`lanspread status\`)\n`)
      process.exit(EXIT_CODES[SIGNAL_CODES[received]])
    }
    signal = received
    process.stderr.write(`\nCancelling ${job.what} in serve…\n`)
    void requestCancel(client, token).then((cancel) => {
      if (cancel?.outcome === 'not_cancellable') process.stderr.write(`serve does not stop ${job.what} midway: it finishes it (Ctrl-C again stops waiting)\n`)
    })
  })
  try {
    const result = (await client.request(job.command, {...job.args, job: token})) as T
    return signal ? {result, lateSignal: signal} : {result}
  } catch (error) {
    if (signal && isLanspreadError(error, 'interrupted')) {
      throw new LanspreadError(SIGNAL_CODES[signal], `interrupted: ${job.what} was cancelled in serve`, {hint: job.resumeHint})
    }
    throw error
  } finally {
    job.takeInterrupts(undefined)
  }
}

async function requestCancel(client: ControlClient, token: string): Promise<CancelResult | undefined> {
  try {
    return CancelResultSchema.parse(await client.request('cancel', {job: token}))
  } catch {
    return undefined // serve gone: the job's own request reports that
  }
}
