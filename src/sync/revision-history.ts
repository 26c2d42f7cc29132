// The serving side of delta sync: the last few LibraryDeltas this peer published, so a peer
// that holds an older revision of our library gets one merged delta instead of a snapshot.
// Bounded by count: a peer further behind than the history gets a snapshot.
import type {GameId} from '../library/layout.js'
import type {GameSummary} from '../library/summary.js'

/** One published revision step, as the library emits it. */
export interface RevisionStep {
  from_rev: number
  to_rev: number
  added: readonly GameSummary[]
  updated: readonly GameSummary[]
  removed: readonly GameId[]
}

/** A delta from one revision to another, merged from consecutive steps. */
export interface MergedDelta {
  from_rev: number
  to_rev: number
  added: GameSummary[]
  updated: GameSummary[]
  removed: GameId[]
}

export const DEFAULT_HISTORY_LENGTH = 256

export class RevisionHistory {
  private steps: RevisionStep[] = []

  constructor(private readonly capacity = DEFAULT_HISTORY_LENGTH) {}

  /** Records a step; a step that does not continue the last one starts the history afresh. */
  record(step: RevisionStep): void {
    const last = this.steps.at(-1)
    if (last && last.to_rev !== step.from_rev) this.steps = []
    this.steps.push(step)
    if (this.steps.length > this.capacity) this.steps.splice(0, this.steps.length - this.capacity)
  }

  /** Forgets everything (a new library epoch: old revisions mean nothing any more). */
  clear(): void {
    this.steps = []
  }

  /**
   * The merged delta from `fromRev` to the newest recorded revision, or undefined when the
   * history does not reach back that far (the caller sends a snapshot instead).
   */
  since(fromRev: number): MergedDelta | undefined {
    const start = this.steps.findIndex((step) => step.from_rev === fromRev)
    if (start < 0) return undefined
    return mergeSteps(this.steps.slice(start))
  }

  get newestRev(): number | undefined {
    return this.steps.at(-1)?.to_rev
  }
}

/**
 * Merges consecutive steps into one delta. A receiver upserts `added` and `updated` alike and
 * ignores removals of games it does not hold, so a game added and then removed inside the
 * range is simply sent as removed.
 */
export function mergeSteps(steps: readonly RevisionStep[]): MergedDelta | undefined {
  const first = steps[0]
  const last = steps.at(-1)
  if (!first || !last) return undefined
  const latest = new Map<GameId, {summary: GameSummary; added: boolean} | 'removed'>()
  for (const step of steps) {
    for (const summary of step.added) latest.set(summary.id, {summary, added: true})
    for (const summary of step.updated) {
      const previous = latest.get(summary.id)
      latest.set(summary.id, {summary, added: previous !== undefined && previous !== 'removed' && previous.added})
    }
    for (const id of step.removed) latest.set(id, 'removed')
  }
  const merged: MergedDelta = {from_rev: first.from_rev, to_rev: last.to_rev, added: [], updated: [], removed: []}
  for (const [id, entry] of latest) {
    if (entry === 'removed') merged.removed.push(id)
    else if (entry.added) merged.added.push(entry.summary)
    else merged.updated.push(entry.summary)
  }
  return merged
}
