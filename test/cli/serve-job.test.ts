// Ctrl-C while serve runs a command's job: the API offers a cancel, the command's handler sends
// it and reports the outcome; on disk no cancel is offered and Ctrl-C is left to the process.
import {describe, expect, it, vi} from 'vitest'
import type {CancelJob} from '../../src/api/lanspread-api.js'
import {runServeJob} from '../../src/cli/serve-job.js'
import type {StopSignal} from '../../src/cli/interrupt.js'
import {LanspreadError} from '../../src/errors.js'

function job() {
  let handler: ((signal: StopSignal) => void) | undefined
  return {
    what: 'the fetch of quake',
    resumeHint: 'run it again',
    takeInterrupts: (next: ((signal: StopSignal) => void) | undefined) => (handler = next),
    signal: (signal: StopSignal) => handler?.(signal),
    taken: () => handler !== undefined,
  }
}

describe('runServeJob', () => {
  it('cancels the job in serve on Ctrl-C and reports it as interrupted', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const command = job()
    const cancels: string[] = []
    const run = runServeJob(
      command,
      (hooks) =>
        new Promise<never>((_, reject) => {
          const cancel: CancelJob = async () => {
            cancels.push('job-1')
            reject(new LanspreadError('interrupted', 'the fetch was cancelled'))
            return {job: 'job-1', outcome: 'cancelling'}
          }
          hooks.onCancellable?.(cancel)
        }),
    )
    expect(command.taken()).toBe(true)
    command.signal('SIGINT')
    await expect(run).rejects.toMatchObject({code: 'interrupted', message: 'interrupted: the fetch of quake was cancelled in serve', hint: 'run it again'})
    expect(cancels).toEqual(['job-1'])
    vi.restoreAllMocks()
  })

  it('returns the result with the signal that came too late to stop it', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const command = job()
    const result = await runServeJob(command, async (hooks) => {
      hooks.onCancellable?.(async () => ({job: 'job-2', outcome: 'not_cancellable'}))
      command.signal('SIGTERM')
      hooks.onCancellable?.(undefined)
      return 'installed'
    })
    expect(result).toEqual({result: 'installed', lateSignal: 'SIGTERM'})
    expect(command.taken()).toBe(false)
    vi.restoreAllMocks()
  })

  it('takes no interrupts when the work runs on disk (no cancel offered)', async () => {
    const command = job()
    expect(await runServeJob(command, async () => 'done')).toEqual({result: 'done'})
    expect(command.taken()).toBe(false)
  })
})
