// LibraryDelta: what changed between two library revisions (added, updated and removed
// games). The library emits one per revision; peers receive it instead of a snapshot.
import type {GameId} from './layout.js'
import type {GameSummary} from './summary.js'

export interface LibraryDelta {
  /** Revisions compare only within one epoch: a peer that knows another epoch takes a snapshot. */
  library_epoch: string
  from_rev: number
  to_rev: number
  added: GameSummary[]
  updated: GameSummary[]
  removed: GameId[]
}

export function diffSummaries(
  before: ReadonlyMap<GameId, GameSummary>,
  after: ReadonlyMap<GameId, GameSummary>,
  epoch: string,
  fromRev: number,
  toRev: number,
): LibraryDelta {
  const added: GameSummary[] = []
  const updated: GameSummary[] = []
  for (const [id, summary] of after) {
    const old = before.get(id)
    if (!old) added.push(summary)
    else if (JSON.stringify(old) !== JSON.stringify(summary)) updated.push(summary)
  }
  const removed = [...before.keys()].filter((id) => !after.has(id))
  return {library_epoch: epoch, from_rev: fromRev, to_rev: toRev, added, updated, removed}
}
