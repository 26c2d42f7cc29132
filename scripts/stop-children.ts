// Stops the child processes a script started (the demo, the benchmarks): SIGTERM first, so
// serve tells its peers goodbye and removes its socket, SIGKILL after 5 s for one that hangs.

import type {ChildProcess} from 'node:child_process'

const GRACE_MS = 5_000

export async function stopChildren(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const timer = setTimeout(() => child.kill('SIGKILL'), GRACE_MS)
          child.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          child.kill('SIGTERM')
        }),
    ),
  )
}
