// Spreads a download's missing chunks over its sources: a few requests per source, a bound
// on the bytes buffered, a timeout per chunk, a source dropped after repeated failures, idle
// sources taking over chunks a slow one has held too long, and every chunk verified before
// it is written. A chunk that every source it can still come from served wrong → integrity.
import {LanspreadError, errorMessage} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {ChunkReply, GameSource} from './game-source.js'
import type {PlannedChunk} from './planner.js'
import {DEFAULT_LIMITS, type SchedulerLimits} from './scheduler-limits.js'

export interface ChunkLanded {
  chunk: PlannedChunk
  peerId: string
  bufferedBytes: number
}

export interface SchedulerComponents {
  /** BLAKE3 (hex) of a chunk's bytes; may run off the event loop. */
  hashChunk(bytes: Uint8Array): Promise<string>
  write(chunk: PlannedChunk, bytes: Uint8Array): Promise<void>
  onChunk?(event: ChunkLanded): void
  now?(): number
}

export interface SchedulerResult {
  bytes: number
  sources: {peer_id: string; bytes: number}[]
  retried_chunks: number
  peak_buffered_bytes: number
}

interface SourceState {
  source: GameSource
  active: number
  failures: number
  dropped: boolean
  bytes: number
  lastError?: string
  /** Requests sent and not yet replied to (nor abandoned); what the timer waits for. */
  waiting: number
  timer?: NodeJS.Timeout
}

interface Attempt {
  source: SourceState
  chunk: ChunkState
  started: number
  /** Timed out or lost to another source's reply: its bytes are dropped when they arrive. */
  abandoned: boolean
  /** Its reply arrived (it is being verified): no longer subject to the source's timeout. */
  replied: boolean
}

interface ChunkState {
  planned: PlannedChunk
  attempts: Set<Attempt>
  badFrom: Set<string>
  done: boolean
}

export class ChunkScheduler {
  private readonly sources: SourceState[]
  private readonly queue: ChunkState[]
  private readonly retries: ChunkState[] = []
  private readonly inFlight = new Set<ChunkState>()
  private readonly writes = new Set<Promise<void>>()
  private readonly now: () => number
  private remaining: number
  private writing = 0
  private stealTimer: NodeJS.Timeout | undefined
  private buffered = 0
  private peakBuffered = 0
  private retried = 0
  private fetched = 0
  private completedMs = 0
  private completed = 0
  private failure: unknown
  private settle?: {resolve: (result: SchedulerResult) => void; reject: (error: unknown) => void}

  constructor(
    private readonly id: GameId,
    private readonly manifestHash: string,
    sources: readonly GameSource[],
    chunks: readonly PlannedChunk[],
    private readonly components: SchedulerComponents,
    private readonly limits: SchedulerLimits = DEFAULT_LIMITS,
    private readonly signal?: AbortSignal,
  ) {
    this.sources = sources.map((source) => ({source, active: 0, failures: 0, dropped: false, bytes: 0, waiting: 0}))
    this.queue = chunks.map((planned) => ({planned, attempts: new Set(), badFrom: new Set(), done: false}))
    this.queue.reverse() // popped from the end: manifest order
    this.remaining = chunks.length
    this.now = components.now ?? Date.now
  }

  async run(): Promise<SchedulerResult> {
    if (this.remaining > 0 && this.sources.length === 0)
      throw new LanspreadError('no_peers', `no source to download game ${this.id} from`, {hint: 'run `lanspread peers` to see which peers are up'})
    const done = new Promise<SchedulerResult>((resolve, reject) => (this.settle = {resolve, reject}))
    const onAbort = () =>
      this.fail(
        new LanspreadError('interrupted', `the download of game ${this.id} was cancelled`, {hint: `run the fetch again: it keeps the chunks already on disk`}),
      )
    this.signal?.addEventListener('abort', onAbort, {once: true})
    try {
      if (this.signal?.aborted) onAbort()
      else this.pump()
      this.finishIfDone()
      return await done
    } finally {
      this.signal?.removeEventListener('abort', onAbort)
    }
  }

  private pump(): void {
    if (this.failure !== undefined) return
    let issued = true
    while (issued) {
      issued = false
      for (const state of this.sources) {
        if (state.dropped || state.active >= this.inFlightLimit(state)) continue
        const chunk = this.nextChunkFor(state)
        if (!chunk) continue
        if (this.buffered > 0 && this.buffered + chunk.planned.length > this.limits.maxBufferedBytes) {
          this.putBack(chunk)
          return
        }
        this.issue(state, chunk)
        issued = true
      }
    }
    this.wakeForSteal()
  }

  /** With nothing queued, a source that is idle now looks again when the oldest request becomes worth taking over. */
  private wakeForSteal(): void {
    if (this.stealTimer || this.failure !== undefined || this.queue.length > 0 || this.inFlight.size === 0) return
    if (!this.sources.some((s) => !s.dropped && s.active < this.inFlightLimit(s))) return
    const oldest = Math.min(...[...this.inFlight].flatMap((c) => [...c.attempts].map((a) => a.started)))
    const wait = Math.max(1, oldest + this.stealThreshold() - this.now())
    this.stealTimer = setTimeout(() => {
      this.stealTimer = undefined
      this.pump()
    }, wait)
  }

  /** `perSource`, or less for a source that asks for fewer requests at once. */
  private inFlightLimit(state: SourceState): number {
    return Math.min(this.limits.perSource, state.source.maxInFlight ?? Infinity)
  }

  private stealThreshold(): number {
    const mean = this.completed === 0 ? 0 : this.completedMs / this.completed
    return Math.max(this.limits.stealAfterMs, 4 * mean)
  }

  private nextChunkFor(state: SourceState): ChunkState | undefined {
    const peer = state.source.peerId
    const retry = this.retries.findIndex((c) => !c.done && !c.badFrom.has(peer) && c.attempts.size === 0)
    if (retry !== -1) return this.retries.splice(retry, 1)[0]
    while (this.queue.length > 0) {
      const chunk = this.queue.pop()!
      if (!chunk.done) return chunk
    }
    return this.chunkToSteal(peer)
  }

  /** The chunk held longest by one other source, once it has held it well past the usual time. */
  private chunkToSteal(peer: string): ChunkState | undefined {
    const threshold = this.stealThreshold()
    const now = this.now()
    let oldest: {chunk: ChunkState; started: number} | undefined
    for (const chunk of this.inFlight) {
      if (chunk.done || chunk.attempts.size !== 1 || chunk.badFrom.has(peer)) continue
      const [attempt] = chunk.attempts
      if (attempt!.source.source.peerId === peer || now - attempt!.started < threshold) continue
      if (!oldest || attempt!.started < oldest.started) oldest = {chunk, started: attempt!.started}
    }
    return oldest?.chunk
  }

  private putBack(chunk: ChunkState): void {
    if (chunk.attempts.size > 0) return // a steal candidate: still in flight elsewhere
    if (chunk.badFrom.size > 0 || this.retries.includes(chunk)) this.retries.unshift(chunk)
    else this.queue.push(chunk)
  }

  private issue(state: SourceState, chunk: ChunkState): void {
    const {planned} = chunk
    const attempt: Attempt = {source: state, chunk, started: this.now(), abandoned: false, replied: false}
    state.active++
    state.waiting++
    this.armTimer(state)
    chunk.attempts.add(attempt)
    this.inFlight.add(chunk)
    this.reserve(planned.length)
    const request = {id: this.id, manifest_hash: this.manifestHash, path: planned.file.entry.path, offset: planned.offset, length: planned.length}
    new Promise<ChunkReply>((resolve) => resolve(state.source.getChunk(request))).then(
      (reply) => this.received(attempt, reply).catch((error: unknown) => this.fail(error)),
      (error: unknown) => this.requestFailed(attempt, error),
    )
  }

  /**
   * (Re)starts the source's timeout from now: a flat bound per request would cut a slow but
   * steady source whose parallel chunks all land together after n times one chunk's time.
   */
  private armTimer(state: SourceState): void {
    clearTimeout(state.timer)
    state.timer = undefined
    if (state.waiting === 0 || this.failure !== undefined) return
    const budget = this.limits.chunkTimeoutMs * state.waiting
    state.timer = setTimeout(() => this.timedOut(state, budget), budget)
  }

  /** Nothing came back for the whole budget: every request still waiting fails. */
  private timedOut(state: SourceState, budget: number): void {
    state.timer = undefined
    const waiting = [...this.inFlight].flatMap((chunk) => [...chunk.attempts].filter((a) => a.source === state && !a.replied))
    for (const attempt of waiting) {
      if (attempt.abandoned) continue
      this.abandon(attempt)
      this.sourceFailed(state, `no chunk within ${budget} ms (${waiting.length} requested)`)
      this.requeue(attempt.chunk)
    }
    this.pump()
    this.finishIfDone()
  }

  /** Frees the attempt's slot and reservation now; a late reply is dropped as it arrives. */
  private abandon(attempt: Attempt): void {
    attempt.abandoned = true
    if (!attempt.replied && --attempt.source.waiting === 0) this.armTimer(attempt.source)
    attempt.source.active--
    attempt.chunk.attempts.delete(attempt)
    if (attempt.chunk.attempts.size === 0) this.inFlight.delete(attempt.chunk)
    this.release(attempt.chunk.planned.length)
  }

  private requestFailed(attempt: Attempt, error: unknown): void {
    if (attempt.abandoned) return
    this.abandon(attempt)
    this.sourceFailed(attempt.source, errorMessage(error))
    this.requeue(attempt.chunk)
    this.pump()
    this.finishIfDone()
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
    if (attempt.abandoned || this.failure !== undefined) return false
    if (chunk.done) return (this.abandon(attempt), false)
    if (hash !== chunk.planned.hash) return (this.badBytes(attempt), false)
    chunk.done = true
    for (const other of [...chunk.attempts]) if (other !== attempt) this.abandon(other)
    source.active--
    source.bytes += bytes.length
    this.fetched += bytes.length
    this.completed++
    this.completedMs += this.now() - attempt.started
    this.inFlight.delete(chunk)
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
      this.components.onChunk?.({chunk: chunk.planned, peerId: source.source.peerId, bufferedBytes: this.buffered})
    } catch (error) {
      this.fail(error)
    } finally {
      this.writing--
      this.release(chunk.planned.length)
    }
    this.pump()
    this.finishIfDone()
  }

  private badBytes(attempt: Attempt): void {
    const peer = attempt.source.source.peerId
    this.retried++
    attempt.chunk.badFrom.add(peer)
    this.abandon(attempt)
    this.sourceFailed(attempt.source, `served bytes that do not match the manifest for ${attempt.chunk.planned.file.entry.path}`)
    this.requeue(attempt.chunk)
    this.pump()
    this.finishIfDone()
  }

  private requeue(chunk: ChunkState): void {
    if (chunk.done || chunk.attempts.size > 0 || this.failure !== undefined) return
    const usable = this.sources.some((s) => !s.dropped && !chunk.badFrom.has(s.source.peerId))
    if (usable) {
      this.retries.push(chunk)
      return
    }
    this.fail(this.unfetchable(chunk))
  }

  private unfetchable(chunk: ChunkState): LanspreadError {
    const {file, offset} = chunk.planned
    if (chunk.badFrom.size > 0) {
      return new LanspreadError(
        'integrity',
        `every source of game ${this.id} served bad bytes for ${file.entry.path} at offset ${offset} (${[...chunk.badFrom].join(', ')})`,
        {
          hint: 'the source copies are damaged or changed behind their index: run `lanspread scan --full` on those peers, or fetch from another peer',
        },
      )
    }
    const reasons = this.sources.map((s) => `${s.source.peerId}: ${s.lastError ?? 'dropped'}`).join('; ')
    return new LanspreadError('no_peers', `every source of game ${this.id} failed (${reasons})`, {
      hint: 'check the peers with `lanspread peers`, then fetch again: chunks already on disk are kept',
    })
  }

  private sourceFailed(state: SourceState, reason: string): void {
    state.failures++
    state.lastError = reason
    if (state.failures < this.limits.maxSourceFailures || state.dropped) return
    state.dropped = true
    // Chunks that only dropped sources could still serve will never come.
    const waiting = [...this.retries, ...(this.sources.every((s) => s.dropped) ? this.queue : [])]
    const stuck = waiting.find((c) => !c.done && !this.sources.some((s) => !s.dropped && !c.badFrom.has(s.source.peerId)))
    if (stuck) this.fail(this.unfetchable(stuck))
  }

  private reserve(bytes: number): void {
    this.buffered += bytes
    this.peakBuffered = Math.max(this.peakBuffered, this.buffered)
  }

  private release(bytes: number): void {
    this.buffered -= bytes
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.stopTimers()
    // Writes in flight finish first, so no file is written after the download returned.
    void Promise.allSettled([...this.writes]).then(() => this.settle?.reject(error))
  }

  private finishIfDone(): void {
    if (this.failure !== undefined || this.remaining > 0 || this.writing > 0) return
    this.stopTimers()
    this.settle?.resolve({
      bytes: this.fetched,
      sources: this.sources.map((s) => ({peer_id: s.source.peerId, bytes: s.bytes})),
      retried_chunks: this.retried,
      peak_buffered_bytes: this.peakBuffered,
    })
  }

  private stopTimers(): void {
    clearTimeout(this.stealTimer)
    this.stealTimer = undefined
    for (const state of this.sources) {
      clearTimeout(state.timer)
      state.timer = undefined
    }
  }
}
