// Exponential backoff with jitter for re-dialling a peer that is down, and RetryTimer for work
// asked again on failure: quick to notice a peer that comes back, never a tight loop against
// one that does not.
import {doublingDelay} from '../util/doubling-delay.js'

export class Backoff {
  private failures = 0

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt, after one more failure. */
  next(): number {
    const base = doublingDelay(this.minMs, this.maxMs, this.failures)
    this.failures++
    // ±20 % so peers that went down together do not all dial again at the same instant.
    return Math.round(base * (0.8 + 0.4 * this.random()))
  }

  reset(): void {
    this.failures = 0
  }
}

/**
 * One pending retry at a time, after a Backoff's wait, for work that is asked again on failure
 * (a library pull or push to one peer). Unref'd: it never holds the process open.
 */
export class RetryTimer {
  private timer: NodeJS.Timeout | undefined
  private readonly backoff: Backoff

  constructor(minMs: number, maxMs: number) {
    this.backoff = new Backoff(minMs, maxMs)
  }

  /** Runs `retry` after the next wait (replacing a retry already pending). */
  later(retry: () => void): void {
    this.cancel()
    this.timer = setTimeout(() => {
      this.timer = undefined
      retry()
    }, this.backoff.next())
    this.timer.unref()
  }

  cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The work went through: the next failure waits the shortest again. */
  succeeded(): void {
    this.backoff.reset()
  }
}
