// The per-ID rescan gate of SPEC §6: file events are not time-debounced but gated. An event
// for a game with an operation running is dropped (the operation rescans when it ends); an
// event for a game whose rescan is running marks it pending, and the rescan runs once more.
// One worker runs the rescans (a Coalescer of one key), so events for many games coalesce into
// one refresh.
import type {GameId} from '../library/layout.js'
import {Coalescer} from '../util/coalesce.js'

export interface RescanGateComponents {
  /** Rescans these games (one library refresh: one library_rev bump at most). */
  rescan(ids: GameId[]): Promise<void>
  /** True while an operation owns the game. */
  isBusy(id: GameId): boolean
  /** Called when a rescan fails; the gate goes on with later events. */
  onError(error: unknown): void
}

export interface RescanGateStats {
  /** Events dropped because an operation owned the game. */
  dropped: number
  /** Refreshes run. */
  rescans: number
}

export class RescanGate {
  private readonly pending = new Set<GameId>()
  private readonly worker = new Coalescer<'rescan'>(() => this.rescanPending())
  private readonly counters: RescanGateStats = {dropped: 0, rescans: 0}

  constructor(private readonly components: RescanGateComponents) {}

  get stats(): Readonly<RescanGateStats> {
    return this.counters
  }

  /** A file event for game `id`. */
  notify(id: GameId): void {
    if (this.components.isBusy(id)) {
      this.counters.dropped++
      return
    }
    this.pending.add(id)
    // Events that arrive while a batch runs land in `pending` and make one more run.
    this.worker.request('rescan')
  }

  /** Resolves when no rescan is running or pending. */
  async idle(): Promise<void> {
    await this.worker.idle('rescan')
  }

  private async rescanPending(): Promise<void> {
    const batch = [...this.pending].filter((id) => !this.components.isBusy(id))
    this.pending.clear()
    if (batch.length === 0) return
    this.counters.rescans++
    try {
      await this.components.rescan(batch)
    } catch (error) {
      // The gate goes on with later events: a failed rescan is no reason to stop the worker.
      this.components.onError(error)
    }
  }
}
