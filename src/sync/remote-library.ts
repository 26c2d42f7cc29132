// What this peer knows of another peer's library: its epoch, the revision we hold and the
// games at that revision. Deltas apply only on top of exactly the revision we hold in the
// same epoch, and must reproduce the sender's digest; anything else asks for a snapshot.
import {libraryDigest} from '../library/library-revision.js'
import type {GameId} from '../library/layout.js'
import type {GameSummary} from '../library/summary.js'
import type {MergedDelta} from './revision-history.js'

export interface RemoteSnapshot {
  library_epoch: string
  library_rev: number
  library_digest: string
  games: readonly GameSummary[]
}

export interface RemoteDelta extends MergedDelta {
  library_epoch: string
  library_digest: string
}

/** What applying a delta did: applied, ignored as old news, or a reason to take a snapshot. */
export type DeltaOutcome = 'applied' | 'stale' | 'gap' | 'epoch_changed' | 'digest_mismatch'

export class RemoteLibrary {
  private games = new Map<GameId, GameSummary>()
  private epoch: string | undefined
  private rev: number | undefined
  private digest: string | undefined

  /** The revision we hold, if any, and the epoch it belongs to. */
  get position(): {library_epoch: string; library_rev: number; library_digest: string} | undefined {
    if (this.epoch === undefined || this.rev === undefined || this.digest === undefined) return undefined
    return {library_epoch: this.epoch, library_rev: this.rev, library_digest: this.digest}
  }

  get gameCount(): number {
    return this.games.size
  }

  list(): GameSummary[] {
    return [...this.games.values()]
  }

  get(id: GameId): GameSummary | undefined {
    return this.games.get(id)
  }

  /** True when we hold exactly what the peer announces (no request needed). */
  isCurrent(epoch: string, digest: string): boolean {
    return this.epoch === epoch && this.digest === digest
  }

  /**
   * A snapshot replaces everything. It is refused if its own digest does not match it, and
   * ignored as old news when it is of our epoch at a lower revision than we hold: a delta
   * pushed on another stream (or connection) overtook it on the way.
   */
  applySnapshot(snapshot: RemoteSnapshot): 'applied' | 'stale' | 'digest_mismatch' {
    if (snapshot.library_epoch === this.epoch && this.rev !== undefined && snapshot.library_rev < this.rev) return 'stale'
    const games = new Map(snapshot.games.map((game) => [game.id, game]))
    if (libraryDigest([...games.values()]) !== snapshot.library_digest) return 'digest_mismatch'
    this.games = games
    this.epoch = snapshot.library_epoch
    this.rev = snapshot.library_rev
    this.digest = snapshot.library_digest
    return 'applied'
  }

  /** Applies a delta on top of the revision we hold; the games are untouched unless it applies cleanly. */
  applyDelta(delta: RemoteDelta): DeltaOutcome {
    if (this.epoch === undefined || this.rev === undefined || delta.library_epoch !== this.epoch) return 'epoch_changed'
    if (delta.to_rev <= this.rev) return 'stale'
    if (delta.from_rev !== this.rev) return 'gap'
    const next = new Map(this.games)
    for (const game of [...delta.added, ...delta.updated]) next.set(game.id, game)
    for (const id of delta.removed) next.delete(id)
    if (libraryDigest([...next.values()]) !== delta.library_digest) return 'digest_mismatch'
    this.games = next
    this.rev = delta.to_rev
    this.digest = delta.library_digest
    return 'applied'
  }
}
