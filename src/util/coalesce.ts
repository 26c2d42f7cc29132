// Coalesced work per key: one run at a time, and any number of requests made while it runs
// become exactly one more run after it. Library pulls and pushes (per peer) and the rescan gate
// (one key) share it, so "running / run again once more" is written once.
//
// A run that throws ends its key's chain: `onError` hears of it, and a request made during the
// failed run is dropped (the next request starts afresh): a failing run never repeats itself in
// a tight loop. A caller that wants to go on after a failure catches inside its run.
// Keys are held only while they run: the map is as large as the runs in progress.

export interface CoalescerOptions<K> {
  /** A run threw; the key is free again. */
  onError?: (key: K, error: unknown) => void
}

interface Chain {
  /** A request came while the run in progress went on: one more run follows. */
  again: boolean
  done: Promise<void>
}

export class Coalescer<K> {
  private readonly chains = new Map<K, Chain>()

  constructor(
    private readonly run: (key: K) => Promise<void>,
    private readonly options: CoalescerOptions<K> = {},
  ) {}

  /** Runs `key` now (synchronously up to its first await), or once more after the run in progress. */
  request(key: K): void {
    const chain = this.chains.get(key)
    if (chain) {
      chain.again = true
      return
    }
    const started: Chain = {again: false, done: Promise.resolve()}
    this.chains.set(key, started)
    started.done = this.drive(key, started)
  }

  /** True while a run of `key` is in progress (or about to follow one). */
  isRunning(key: K): boolean {
    return this.chains.has(key)
  }

  /** True when a request came during the run in progress: it will run once more. */
  hasPending(key: K): boolean {
    return this.chains.get(key)?.again ?? false
  }

  /** Resolves once `key` has no run in progress or pending (including runs requested meanwhile). */
  async idle(key: K): Promise<void> {
    for (let chain = this.chains.get(key); chain; chain = this.chains.get(key)) await chain.done
  }

  private async drive(key: K, chain: Chain): Promise<void> {
    try {
      do {
        chain.again = false
        await this.run(key)
      } while (chain.again)
    } catch (error) {
      this.options.onError?.(key, error)
    } finally {
      if (this.chains.get(key) === chain) this.chains.delete(key)
    }
  }
}
