// Fetches a download's missing chunks: the ChunkPicker chooses which chunk to ask of which source
// (rarest first, partial peers before seeds, endgame, requests shared by measured rate); this
// runs the requests under a bound on bytes buffered and a timeout per source, verifies every
// chunk before it is written, drops a source at its first bad chunk or after repeated failures.
// Sources join, announce and leave while it runs (SwarmSources: SPEC §5.1).
import {LanspreadError, errorMessage} from '../errors.js'
import {ChunkPicker} from './chunk-picker.js'
import type {ChunkReply, GameSource} from './game-source.js'
import {DEFAULT_PICKER_LIMITS} from './picker-limits.js'
import {unfetchable} from './scheduler-failure.js'
import {SchedulerTally} from './scheduler-tally.js'
import {DEFAULT_LIMITS, type SchedulerLimits} from './scheduler-limits.js'
import {type Attempt, type ChunkState, type SourceKind, SourceState} from './scheduler-sources.js'
import type {SchedulerComponents, SchedulerGame, SchedulerResult, SwarmChunk, SwarmSources} from './scheduler-types.js'

export type {ChunkLanded, SchedulerComponents, SchedulerGame, SchedulerResult, SourceKind, SwarmChunk, SwarmSources} from './scheduler-types.js'

export class ChunkScheduler implements SwarmSources {
  private readonly sources = new Map<string, SourceState>()
  private readonly chunks = new Map<number, ChunkState>()
  private readonly inFlight = new Set<ChunkState>()
  private readonly picker: ChunkPicker
  private readonly writes = new Set<Promise<void>>()
  private readonly now: () => number
  private remaining: number
  private writing = 0
  private copyTimer: NodeJS.Timeout | undefined
  private graceTimer: NodeJS.Timeout | undefined
  private readonly tally = new SchedulerTally()
  private started = false
  private settled = false
  private failure: unknown
  private settle?: {resolve: (result: SchedulerResult) => void; reject: (error: unknown) => void}

  constructor(
    private readonly game: SchedulerGame,
    seeds: readonly GameSource[],
    chunks: readonly SwarmChunk[],
    private readonly components: SchedulerComponents,
    private readonly limits: SchedulerLimits = DEFAULT_LIMITS,
    private readonly signal?: AbortSignal,
  ) {
    this.now = components.now ?? Date.now
    this.picker = new ChunkPicker({
      chunkCount: game.chunkCount,
      needed: chunks.map((chunk) => chunk.index),
      random: components.random ?? Math.random,
      limits: {maxInFlight: limits.perSource, totalInFlight: Math.max(DEFAULT_PICKER_LIMITS.totalInFlight, limits.perSource)},
      ...(game.self === undefined ? {} : {self: game.self}),
    })
    for (const {planned, index} of chunks) this.chunks.set(index, {planned, index, attempts: new Set(), badFrom: new Set(), done: false})
    this.remaining = chunks.length
    for (const source of seeds) this.join(source, 'seed')
  }

  async run(): Promise<SchedulerResult> {
    if (this.remaining > 0 && this.sources.size === 0 && !this.game.open)
      throw new LanspreadError('no_peers', `no source to download game ${this.game.id} from`, {hint: 'run `lanspread peers` to see which peers are up'})
    const done = new Promise<SchedulerResult>((resolve, reject) => (this.settle = {resolve, reject}))
    const onAbort = () =>
      this.fail(
        new LanspreadError('interrupted', `the download of game ${this.game.id} was cancelled`, {
          hint: `run the fetch again: it keeps the chunks already on disk`,
        }),
      )
    this.signal?.addEventListener('abort', onAbort, {once: true})
    this.started = true
    try {
      if (this.signal?.aborted) onAbort()
      else this.changed()
      return await done
    } finally {
      this.signal?.removeEventListener('abort', onAbort)
    }
  }

  join(source: GameSource, kind: SourceKind, have: Iterable<number> = []): boolean {
    if (this.settled) return false
    const known = this.sources.get(source.peerId)
    if (known?.present) {
      if (kind === 'seed' && known.kind === 'partial') this.becomeSeed(known)
      else this.picker.addHave(known.peerId, have)
    } else {
      const joined = kind === 'seed' ? this.picker.addSeed(source.peerId) : this.picker.addPartial(source.peerId, have)
      if (!joined) return false
      // A source rested after failures comes back with a clean slate (it was not dropped for bad bytes).
      const state = known ?? new SourceState(source, kind)
      Object.assign(state, {source, kind, present: true, dropped: false, failures: 0})
      this.sources.set(source.peerId, state)
      if (source.maxInFlight !== undefined) this.picker.capInFlight(source.peerId, source.maxInFlight)
    }
    this.changed()
    return true
  }

  /** A partial source finished: a seed now, not in the downloaders' slices; its requests in flight still count. */
  private becomeSeed(state: SourceState): void {
    this.picker.becomeSeed(state.peerId)
    state.kind = 'seed'
    this.armTimer(state) // a seed's patience from now on
  }

  have(peerId: string, chunks: Iterable<number>): void {
    if (this.settled || this.sources.get(peerId)?.present !== true) return
    this.picker.addHave(peerId, chunks)
    this.changed()
  }

  leave(peerId: string): void {
    const state = this.sources.get(peerId)
    if (this.settled || state?.present !== true) return
    state.present = false
    this.picker.removeSource(peerId)
    this.letGo(state)
    this.changed()
  }

  isDropped(peerId: string): boolean {
    return this.picker.isDropped(peerId)
  }

  kindOf(peerId: string): SourceKind | undefined {
    const state = this.sources.get(peerId)
    return state?.present === true ? state.kind : undefined
  }

  /** After anything that frees a slot or adds work: ask every source, then see whether the download can still finish. */
  private changed(): void {
    if (!this.started) return
    this.pump()
    this.checkMissing()
    this.finishIfDone()
  }

  /** Asks every source present for chunks until none takes more (the picker's contract). */
  private pump(): void {
    if (this.failure !== undefined) return
    const waitForCopy = new Set<SourceState>()
    for (let issued = true; issued;) {
      issued = false
      for (const state of this.sources.values()) {
        if (!state.present || waitForCopy.has(state)) continue
        const pick = this.picker.pick(state.peerId)
        if (pick === undefined) continue
        const chunk = this.chunks.get(pick.chunk)!
        // Endgame copies only of a chunk held well past the usual time: the second request costs bytes.
        if (pick.duplicate && !this.worthCopying(chunk)) {
          this.picker.release(state.peerId, pick.chunk)
          waitForCopy.add(state)
          continue
        }
        if (this.tally.buffered > 0 && this.tally.buffered + chunk.planned.length > this.limits.maxBufferedBytes) {
          this.picker.release(state.peerId, pick.chunk)
          return
        }
        this.issue(state, chunk)
        issued = true
      }
    }
    if (waitForCopy.size > 0) this.wakeForCopy()
  }

  private worthCopying(chunk: ChunkState): boolean {
    const oldest = Math.min(...[...chunk.attempts].map((attempt) => attempt.started))
    return this.now() - oldest >= this.copyThreshold()
  }

  /** A source is idle in the endgame: it looks again when the oldest request becomes worth copying. */
  private wakeForCopy(): void {
    if (this.copyTimer !== undefined || this.failure !== undefined || this.inFlight.size === 0) return
    const oldest = Math.min(...[...this.inFlight].flatMap((chunk) => [...chunk.attempts].map((attempt) => attempt.started)))
    const wait = Math.max(1, oldest + this.copyThreshold() - this.now())
    this.copyTimer = setTimeout(() => {
      this.copyTimer = undefined
      this.changed()
    }, wait)
  }

  private copyThreshold(): number {
    return Math.max(this.limits.stealAfterMs, 4 * this.tally.meanChunkMs())
  }

  private issue(state: SourceState, chunk: ChunkState): void {
    const {planned} = chunk
    const attempt: Attempt = {source: state, chunk, started: this.now(), abandoned: false, replied: false, picked: true}
    state.began(attempt.started)
    state.waiting++
    state.attempts.add(attempt)
    this.armTimer(state, false)
    chunk.attempts.add(attempt)
    this.inFlight.add(chunk)
    this.tally.reserve(planned.length)
    const request = {id: this.game.id, manifest_hash: this.game.manifestHash, path: planned.file.entry.path, offset: planned.offset, length: planned.length}
    new Promise<ChunkReply>((resolve) => resolve(state.source.getChunk(request))).then(
      (reply) => this.received(attempt, reply).catch((error: unknown) => this.fail(error)),
      (error: unknown) => this.requestFailed(attempt, error),
    )
  }

  /**
   * (Re)starts the source's timeout from now: a flat bound per request would cut a slow but
   * steady source whose parallel chunks all land together after n times one chunk's time. A new
   * request (`restart` false) leaves a partial peer's running timeout as it is (SchedulerLimits).
   */
  private armTimer(state: SourceState, restart = true): void {
    if (!restart && state.kind === 'partial' && state.timer !== undefined) return
    clearTimeout(state.timer)
    state.timer = undefined
    if (state.waiting === 0 || this.failure !== undefined) return
    const patient = this.limits.chunkTimeoutMs * state.waiting
    const budget = state.kind === 'partial' ? Math.min(patient, this.copyThreshold()) : patient
    state.timer = setTimeout(() => this.timedOut(state, budget), budget)
  }

  /** Nothing came back for the whole budget: every request still waiting fails, as one failure of the source. */
  private timedOut(state: SourceState, budget: number): void {
    state.timer = undefined
    const waiting = state.unreplied().filter((attempt) => !attempt.abandoned)
    for (const attempt of waiting) this.abandon(attempt)
    if (waiting.length > 0) this.sourceFailed(state, `no chunk within ${budget} ms (${waiting.length} requested)`)
    this.changed()
  }

  /** Frees the attempt's slot and reservation now (the picker lets the chunk wait again); a late reply is dropped. */
  private abandon(attempt: Attempt): void {
    const {source, chunk} = attempt
    attempt.abandoned = true
    if (attempt.picked) this.picker.release(source.peerId, chunk.index)
    attempt.picked = false
    if (!attempt.replied && --source.waiting === 0) this.armTimer(source)
    this.settleAttempt(attempt)
    this.tally.buffered -= chunk.planned.length
  }

  private settleAttempt(attempt: Attempt): void {
    attempt.source.ended(this.now())
    attempt.source.attempts.delete(attempt)
    attempt.chunk.attempts.delete(attempt)
    if (attempt.chunk.attempts.size === 0) this.inFlight.delete(attempt.chunk)
  }

  /** The source left or was dropped: requests not replied to go elsewhere; replies being verified still count. */
  private letGo(state: SourceState): void {
    for (const attempt of state.attempts) attempt.picked = false
    for (const attempt of state.unreplied()) this.abandon(attempt)
    clearTimeout(state.timer)
    state.timer = undefined
  }

  private requestFailed(attempt: Attempt, error: unknown): void {
    if (attempt.abandoned) return
    this.abandon(attempt)
    this.sourceFailed(attempt.source, errorMessage(error))
    this.changed()
  }

  /** A reply's buffer goes back to its pool (`release`) once written, or at once when it is dropped. */
  private async received(attempt: Attempt, reply: ChunkReply): Promise<void> {
    let handedToWrite = false
    try {
      handedToWrite = await this.verifyAndWrite(attempt, reply)
    } finally {
      if (!handedToWrite) reply.release?.()
    }
  }

  /** True when the bytes went to a write (which releases them when done). */
  private async verifyAndWrite(attempt: Attempt, reply: ChunkReply): Promise<boolean> {
    const {bytes} = reply
    if (attempt.abandoned || this.failure !== undefined) return false
    const {chunk, source} = attempt
    // A reply is progress: the source's other requests get their full budget again.
    attempt.replied = true
    source.waiting--
    this.armTimer(source)
    const hash = bytes.length === chunk.planned.length ? await this.components.hashChunk(bytes) : undefined
    if (this.failure !== undefined) return false
    // Bad bytes count (and drop their source) even when the attempt lost to another reply meanwhile.
    if (hash !== chunk.planned.hash) return (this.badBytes(attempt), false)
    if (attempt.abandoned) return false
    if (chunk.done) return (this.abandon(attempt), false)
    chunk.done = true
    // The picker ends every attempt at the chunk; the losers' replies are dropped when they come.
    this.picker.complete(source.peerId, chunk.index)
    for (const other of chunk.attempts) other.picked = false
    for (const other of [...chunk.attempts]) if (other !== attempt) this.abandon(other)
    this.settleAttempt(attempt)
    source.bytes += bytes.length
    source.failures = 0 // failures count while in a row: a source that delivers is not dropped for old ones
    const rate = source.rate(this.now())
    if (source.present && rate !== undefined) this.picker.setRate(source.peerId, rate)
    this.tally.landed(bytes.length, this.now() - attempt.started)
    this.pump() // a slot is free; the reservation stays until the bytes are written
    this.writing++
    const write = this.writeVerified(chunk, source, bytes, hash).finally(() => reply.release?.())
    this.writes.add(write)
    void write.finally(() => this.writes.delete(write))
    return true
  }

  private async writeVerified(chunk: ChunkState, source: SourceState, bytes: Uint8Array, hash: string): Promise<void> {
    try {
      await this.components.write(chunk.planned, bytes)
      chunk.planned.file.verified[chunk.planned.index] = hash
      this.remaining--
      this.components.onChunk?.({chunk: chunk.planned, peerId: source.peerId, bufferedBytes: this.tally.buffered})
    } catch (error) {
      this.fail(error)
    } finally {
      this.writing--
      this.tally.buffered -= chunk.planned.length
    }
    this.changed()
  }

  /** Bad bytes: retried elsewhere, and the source is dropped for this game for good (a partial peer is untrusted like any). */
  private badBytes(attempt: Attempt): void {
    const {source, chunk} = attempt
    this.tally.retried++
    chunk.badFrom.add(source.peerId)
    if (!attempt.abandoned) this.abandon(attempt)
    source.failures++
    this.drop(source, `served bytes that do not match the manifest for ${chunk.planned.file.entry.path}`, true)
    this.changed()
  }

  private sourceFailed(state: SourceState, reason: string): void {
    state.failures++
    state.lastError = reason
    if (state.failures >= this.limits.maxSourceFailures) this.drop(state, reason, false)
  }

  /**
   * The source stops being asked. For good after bad bytes; after failures (refusals, timeouts)
   * it may join again (SwarmSources.join), e.g. a partial peer that refused while its finished
   * download was being published, once its library shows the game ready.
   */
  private drop(state: SourceState, reason: string, forGood: boolean): void {
    state.lastError = reason
    if (state.dropped && (!forGood || this.picker.isDropped(state.peerId))) return
    const wasPresent = state.present
    state.dropped = true
    state.present = false
    if (forGood) this.picker.dropSource(state.peerId)
    else this.picker.removeSource(state.peerId)
    if (wasPresent) this.letGo(state)
    this.components.onDropped?.(state.peerId, reason, forGood)
  }

  /** Chunks no source present holds: fail now, or after the grace period when a source may still join. */
  private checkMissing(): void {
    if (this.failure !== undefined) return
    if (this.picker.missingCount() === 0) {
      clearTimeout(this.graceTimer)
      this.graceTimer = undefined
      return
    }
    if (!this.game.open) return this.failUnfetchable()
    this.graceTimer ??= setTimeout(() => {
      this.graceTimer = undefined
      if (this.picker.missingCount() > 0) this.failUnfetchable()
    }, this.limits.sourceGraceMs)
  }

  private failUnfetchable(): void {
    const missing = this.picker.missingChunks().map((index) => this.chunks.get(index)!)
    this.fail(unfetchable(this.game.id, this.game.chunkCount, missing, [...this.sources.values()]))
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.settled = true
    this.stopTimers()
    // Writes in flight finish first, so no file is written after the download returned.
    void Promise.allSettled([...this.writes]).then(() => this.settle?.reject(error))
  }

  private finishIfDone(): void {
    if (this.failure !== undefined || this.remaining > 0 || this.writing > 0 || this.settle === undefined) return
    this.settled = true
    this.stopTimers()
    this.settle.resolve({
      bytes: this.tally.fetched,
      sources: [...this.sources.values()].map((s) => ({peer_id: s.peerId, bytes: s.bytes, kind: s.kind})),
      retried_chunks: this.tally.retried,
      peak_buffered_bytes: this.tally.peakBuffered,
    })
  }

  private stopTimers(): void {
    clearTimeout(this.copyTimer)
    clearTimeout(this.graceTimer)
    this.copyTimer = this.graceTimer = undefined
    for (const state of this.sources.values()) {
      clearTimeout(state.timer)
      state.timer = undefined
    }
  }
}
