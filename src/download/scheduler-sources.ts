// What the chunk scheduler keeps per source and per chunk: requests in flight, failures, bytes,
// the rate it measured (bytes per second while the source had requests in flight), and the
// attempts at each chunk. The scheduler's bookkeeping, apart from its decisions.
import type {GameSource} from './game-source.js'
import type {PlannedChunk} from './planner.js'

/** A source with every chunk (ready with the chosen content), or a peer downloading the same content. */
export type SourceKind = 'seed' | 'partial'

export interface Attempt {
  source: SourceState
  chunk: ChunkState
  started: number
  /** Timed out, failed, or lost to another source's reply: its bytes are dropped when they arrive. */
  abandoned: boolean
  /** Its reply arrived (it is being verified): no longer subject to the source's timeout. */
  replied: boolean
  /** The picker still counts it (false once the picker ended it: a cancel from complete(), the source removed). */
  picked: boolean
}

export interface ChunkState {
  planned: PlannedChunk
  /** Its index in the game (the have-map's numbering). */
  index: number
  attempts: Set<Attempt>
  /** Sources that served bad bytes for it. */
  badFrom: Set<string>
  done: boolean
}

export class SourceState {
  /** Requests in flight (sent, or replied and being verified). */
  active = 0
  /** Requests sent and not yet replied to (nor abandoned); what the timer waits for. */
  waiting = 0
  failures = 0
  bytes = 0
  lastError: string | undefined
  /** In the swarm now (false once it left or was dropped). */
  present = true
  /** Dropped for this game: bad bytes, or failures past the limit. */
  dropped = false
  timer: NodeJS.Timeout | undefined
  readonly attempts = new Set<Attempt>()
  private busyMs = 0
  private busySince: number | undefined

  constructor(
    public source: GameSource,
    public kind: SourceKind,
  ) {}

  get peerId(): string {
    return this.source.peerId
  }

  /** A request starts: the source is busy from now if it was idle. */
  began(now: number): void {
    if (this.active++ === 0) this.busySince = now
  }

  /** A request ended (verified, failed or abandoned). */
  ended(now: number): void {
    if (--this.active > 0 || this.busySince === undefined) return
    this.busyMs += now - this.busySince
    this.busySince = undefined
  }

  /** Bytes per second while the source had requests in flight; undefined before it sent a chunk. */
  rate(now: number): number | undefined {
    const busy = this.busyMs + (this.busySince === undefined ? 0 : now - this.busySince)
    return this.bytes === 0 ? undefined : (this.bytes * 1000) / Math.max(1, busy)
  }

  /** Its attempts still waiting for a reply. */
  unreplied(): Attempt[] {
    return [...this.attempts].filter((attempt) => !attempt.replied && !attempt.abandoned)
  }
}
