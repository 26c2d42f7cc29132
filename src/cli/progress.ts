// A progress bar on stderr, only when stderr is a terminal: scripts and --json runs get
// no control characters. Knows nothing of what it measures beyond done/total bytes.
import cliProgress from 'cli-progress'
import {formatBytes} from './render.js'

export interface ProgressBar {
  /** Whether it draws anything (a terminal, and asked for): a caller may skip gathering progress otherwise. */
  readonly drawing: boolean
  update(done: number, total: number, label: string): void
  stop(): void
}

const silent: ProgressBar = {drawing: false, update: () => {}, stop: () => {}}

export function byteProgressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!enabled || !stream.isTTY) return silent
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | {doneText} / {totalText} | {label}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    drawing: true,
    update(done, total, label) {
      const payload = {doneText: formatBytes(done), totalText: formatBytes(total), label}
      if (!started) bar.start(total, done, payload)
      else {
        // One bar serves several items in turn (fetch of several games): each has its own total.
        if (bar.getTotal() !== total) bar.setTotal(total)
        bar.update(done, payload)
      }
      started = true
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
