// Exponential backoff with jitter for re-dialling a peer that is down: quick to notice a
// peer that comes back, never a tight loop against one that does not.

export class Backoff {
  private failures = 0

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt, after one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30))
    this.failures++
    // ±20 % so peers that went down together do not all dial again at the same instant.
    return Math.round(base * (0.8 + 0.4 * this.random()))
  }

  reset(): void {
    this.failures = 0
  }
}
