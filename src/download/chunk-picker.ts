// Which chunk a swarm download asks of which source next (SPEC §5.1): rarest first, a partial
// peer before a seed, the endgame, per-source concurrency by rate. Pure: no I/O, no clock.
//
// The downloader owns the requests; the picker owns the choice. Chunk indexes are the game's
// (chunk i = the i-th chunk hash of the manifest's files in order, as in src/protocol/chunk-map.ts).
//
//   const picker = new ChunkPicker({chunkCount, needed, random})
//   picker.addSeed(peerId) | picker.addPartial(peerId, haveIndexes)   a source joins (false: dropped before)
//   picker.addHave(peerId, chunks)                                    a partial source's Have / ChunkMap
//   picker.becomeSeed(peerId)                                         a partial source finished (its requests stay)
//   picker.setRate(peerId, bytesPerSecond)                            its measured rate (sets its allowance)
//   picker.pick(peerId) → {chunk, duplicate} | undefined              ask it for `chunk` now
//   picker.complete(peerId, chunk) → Cancel[]                         a verified reply landed: these lost (their replies are dropped)
//   picker.release(peerId, chunk)                                     a request ended without a good chunk
//   picker.removeSource(peerId) / dropSource(peerId) → number[]       it left / sent a bad chunk: these are released
//   picker.missingChunks() / missingCount()                           needed chunks no source has
//   picker.capInFlight(peerId, max)                                   the source's own bound on requests at once
//
// After any call that frees a slot or adds work (join, Have, complete, release, leave), call
// pick() for every source until it returns undefined: a seed leaves a chunk to a partial holder
// that has a free slot, counting on that holder being asked.
//
// Cost: a chunk waiting (needed, not in flight) is filed by rarity in one shared set (what seeds
// pick from) and in the set of each partial source that has it. pick() looks at O(levels ≤
// sources) levels plus a bounded sample; a rarity change or a chunk starting or ending costs
// O(partial sources). Memory: ≤ 12 bytes + 1 bit per chunk per partial source.
import {LanspreadError} from '../errors.js'
import {addChunk, chunkIndexes, hasChunk} from '../protocol/chunk-map.js'
import {oldestToCopy} from './endgame-copy.js'
import {DEFAULT_PICKER_LIMITS, type PickerLimits, checkPickerLimits, inFlightAllowance} from './picker-limits.js'
import {RarityBuckets} from './rarity-buckets.js'
import {type Slice, seedOnlyPick, sliceOf} from './seed-slices.js'
import type {Attempt, Cancel, ChunkPickerOptions, PartialSource, Pick, Source} from './picker-types.js'

export type {Cancel, ChunkPickerOptions, Pick} from './picker-types.js'

/** Chunks a seed looks at, per pick, for one no partial holder with a free slot could take. */
const SEED_SAMPLES = 16

export class ChunkPicker {
  private readonly chunkCount: number
  private readonly random: () => number
  private readonly limits: PickerLimits
  private readonly needed: Uint8Array
  private neededCount = 0
  /** Per chunk, how many sources present have it. */
  private readonly rarity: Int32Array
  /** Needed chunks not in flight, by rarity: what a seed picks from (rarity 0: nobody has them). */
  private readonly waiting: RarityBuckets
  private readonly sources = new Map<string, Source>()
  private partials: PartialSource[] = []
  private seeds = 0
  private readonly dropped = new Set<string>()
  private readonly attempts = new Map<number, Attempt[]>()
  private attemptCount = 0
  /** Counts attempts started, so the endgame copies the one asked longest ago. */
  private sequence = 0
  private rateSum = 0
  private rated = 0
  private work = 0
  private readonly self: string | undefined
  /** This downloader's place among the downloaders it knows (itself and the partial sources). */
  private slice: Slice = {rank: 0, of: 1}

  constructor(options: ChunkPickerOptions) {
    this.chunkCount = options.chunkCount
    this.random = options.random
    this.self = options.self
    this.limits = {...DEFAULT_PICKER_LIMITS, ...options.limits}
    checkPickerLimits(this.limits)
    this.needed = new Uint8Array(this.chunkCount)
    this.rarity = new Int32Array(this.chunkCount)
    this.waiting = new RarityBuckets(this.chunkCount)
    for (const chunk of options.needed) {
      this.checkIndex(chunk)
      if (this.needed[chunk] === 1) continue
      this.needed[chunk] = 1
      this.neededCount++
      this.waiting.add(chunk, 0)
    }
  }

  /** Chunks not yet complete. */
  get remaining(): number {
    return this.neededCount
  }

  /** Levels, candidates and attempts pick() looked at so far: tests check it stays small per pick. */
  get steps(): number {
    return this.work
  }

  /** Requests in flight, over all sources or on one. */
  inFlight(id?: string): number {
    return id === undefined ? this.attemptCount : (this.sources.get(id)?.inFlight.size ?? 0)
  }

  /** A source with every chunk. False when it was dropped for this game. */
  addSeed(id: string): boolean {
    if (!this.mayJoin(id)) return false
    this.sources.set(id, {kind: 'seed', id, inFlight: new Set(), rate: undefined})
    this.seeds++
    for (let chunk = 0; chunk < this.chunkCount; chunk++) this.changeRarity(chunk, 1)
    return true
  }

  /** A partial source finished: a seed from now on, out of the slices; its requests in flight stay its own. */
  becomeSeed(id: string): void {
    const source = this.sources.get(id)
    if (source?.kind !== 'partial') return
    this.partials = this.partials.filter((partial) => partial !== source)
    this.updateSlice()
    const seed: Source = {kind: 'seed', id, inFlight: source.inFlight, rate: source.rate, ...(source.cap === undefined ? {} : {cap: source.cap})}
    this.sources.set(id, seed)
    this.seeds++
    for (const chunk of source.inFlight) for (const attempt of this.attempts.get(chunk) ?? []) if (attempt.source === source) attempt.source = seed
    for (let chunk = 0; chunk < this.chunkCount; chunk++) if (!hasChunk(source.have, chunk)) this.changeRarity(chunk, 1)
  }

  /** A source downloading the same content, with the chunks it verified so far. False when dropped. */
  addPartial(id: string, have: Iterable<number> = []): boolean {
    if (!this.mayJoin(id)) return false
    const source: PartialSource = {
      kind: 'partial',
      id,
      inFlight: new Set(),
      rate: undefined,
      have: new Uint8Array(Math.ceil(this.chunkCount / 8)),
      waiting: new RarityBuckets(this.chunkCount),
    }
    this.sources.set(id, source)
    this.partials.push(source)
    this.updateSlice()
    this.addHave(id, have)
    return true
  }

  /** More chunks a partial source verified. Ignored for a seed or a source not here. */
  addHave(id: string, chunks: Iterable<number>): void {
    const source = this.sources.get(id)
    if (source?.kind !== 'partial') return
    for (const chunk of chunks) {
      this.checkIndex(chunk)
      if (!addChunk(source.have, chunk)) continue
      this.changeRarity(chunk, 1)
      if (this.waiting.has(chunk)) source.waiting.add(chunk, this.rarity[chunk]!)
    }
  }

  /** A source left (or failed for good): its chunks in flight are released; their replies, if any come, are dropped. */
  removeSource(id: string): number[] {
    const source = this.sources.get(id)
    if (source === undefined) return []
    this.sources.delete(id)
    this.forgetRate(source)
    if (source.kind === 'seed') {
      this.seeds--
      for (let chunk = 0; chunk < this.chunkCount; chunk++) this.changeRarity(chunk, -1)
    } else {
      this.partials = this.partials.filter((partial) => partial !== source)
      this.updateSlice()
      for (const chunk of chunkIndexes(source.have)) this.changeRarity(chunk, -1)
    }
    const released = [...source.inFlight]
    for (const chunk of released) this.endAttempt(source, chunk)
    return released
  }

  /** A source sent a bad chunk: removed, and never taken again for this game. */
  dropSource(id: string): number[] {
    this.dropped.add(id)
    return this.removeSource(id)
  }

  isDropped(id: string): boolean {
    return this.dropped.has(id)
  }

  /** A source's measured rate (any unit, the same for all sources). */
  setRate(id: string, rate: number): void {
    if (!Number.isFinite(rate) || rate < 0) throw new LanspreadError('internal', `a source rate must be a finite number ≥ 0, got ${rate}`)
    const source = this.sources.get(id)
    if (source === undefined) return
    this.forgetRate(source)
    source.rate = rate
    this.rateSum += rate
    this.rated++
  }

  /** Bounds a source's allowance by what it takes at once itself (GameSource.maxInFlight). */
  capInFlight(id: string, max: number): void {
    const source = this.sources.get(id)
    if (source !== undefined) source.cap = Math.max(1, max)
  }

  /**
   * How many requests the source may have in flight now. A seed gets few: every request queued
   * at a seed that other fetchers share hides its chunk from them until it lands (they may ask
   * the seed for it too), and once a swarm exists its chunks spread faster peer to peer.
   */
  allowedInFlight(id: string): number {
    const source = this.sources.get(id)
    const allowance = inFlightAllowance(source?.rate, {rateSum: this.rateSum, rated: this.rated, sources: this.sources.size}, this.limits)
    return Math.min(allowance, this.seedBound(source), source?.cap ?? allowance)
  }

  /**
   * For a swarm member (`self`): one request on a seed until it sent a chunk (fetchers that start together do not know of
   * each other yet), then `seedInFlight`, or `seedInFlightInSwarm` once partial peers are sources.
   */
  private seedBound(source: Source | undefined): number {
    if (source?.kind !== 'seed' || this.self === undefined) return Infinity
    if (this.partials.length > 0 || source.rate === undefined) return this.limits.seedInFlightInSwarm
    return this.limits.seedInFlight
  }

  /** The chunk to ask of source `id` now, or undefined (no room, or nothing it has is wanted). */
  pick(id: string): Pick | undefined {
    const source = this.sources.get(id)
    if (source === undefined || source.inFlight.size >= this.allowedInFlight(id)) return undefined
    const fresh = source.kind === 'seed' ? this.pickForSeed() : this.pickRarest(source.waiting)
    if (fresh !== undefined) {
      this.startAttempt(source, fresh)
      return {chunk: fresh, duplicate: false}
    }
    // A swarm member's seed sends only what no one else has: no endgame copies from it.
    const sharedSeed = source.kind === 'seed' && this.self !== undefined && this.partials.length > 0
    const copy = this.inEndgame() && !sharedSeed ? this.pickCopy(source) : undefined
    if (copy === undefined) return undefined
    this.startAttempt(source, copy)
    return {chunk: copy, duplicate: true}
  }

  /** A verified chunk from source `id` landed; the other attempts at it lost: the caller drops their replies. */
  complete(id: string, chunk: number): Cancel[] {
    this.checkIndex(chunk)
    if (this.needed[chunk] !== 1) return []
    this.needed[chunk] = 0
    this.neededCount--
    const attempts = this.attempts.get(chunk)
    if (attempts === undefined) {
      this.fileWaiting(chunk, false) // a late reply to a released attempt: as good as any
      return []
    }
    this.attempts.delete(chunk)
    this.attemptCount -= attempts.length
    for (const attempt of attempts) attempt.source.inFlight.delete(chunk)
    return attempts.filter((attempt) => attempt.source.id !== id).map((attempt) => ({source: attempt.source.id, chunk}))
  }

  /** A request ended without a good chunk (error, timeout, cancelled): the chunk waits again. */
  release(id: string, chunk: number): void {
    const source = this.sources.get(id)
    if (source !== undefined) this.endAttempt(source, chunk)
  }

  /** How many needed chunks no source present has (O(1), unlike missingChunks). */
  missingCount(): number {
    return this.waiting.levelSize(0)
  }

  /** Needed chunks that no source present has, ascending: the download cannot finish without them. */
  missingChunks(): number[] {
    return this.waiting.chunksAt(0)
  }

  private mayJoin(id: string): boolean {
    if (this.sources.has(id)) throw new LanspreadError('internal', `source ${id} joined the chunk picker twice`)
    return !this.dropped.has(id)
  }

  private forgetRate(source: Source): void {
    if (source.rate === undefined) return
    this.rateSum -= source.rate
    this.rated--
    source.rate = undefined
  }

  /** A random chunk of the lowest level of `buckets` (level 0 holds chunks nobody has). */
  private pickRarest(buckets: RarityBuckets): number | undefined {
    const level = buckets.lowestLevel(1)
    this.work += 1 + (level ?? 0)
    return level === undefined ? undefined : buckets.at(level, this.randomBelow(buckets.levelSize(level)))
  }

  /**
   * Rarest first among chunks only seeds have (rarity = seeds: the seed sends each chunk about
   * once). Else, for a downloader outside a swarm, a chunk that partial holders have but none
   * has a free slot to send; a swarm member (`self`) leaves such a chunk to its holders however
   * busy they are, since the shared seed's upload is what the whole swarm waits on.
   */
  private pickForSeed(): number | undefined {
    let budget = SEED_SAMPLES
    for (let level = this.waiting.lowestLevel(1); level !== undefined && budget > 0; level = this.waiting.lowestLevel(level + 1)) {
      const size = this.waiting.levelSize(level)
      this.work++
      if (level === this.seeds) return this.seedOnlyChunk(level, size)
      if (this.self !== undefined) return undefined
      const start = this.randomBelow(size)
      for (let tried = 0; tried < size && budget > 0; tried++, budget--) {
        const chunk = this.waiting.at(level, (start + tried) % size)
        if (!this.aPartialHolderHasRoom(chunk)) return chunk
      }
    }
    return undefined
  }

  private aPartialHolderHasRoom(chunk: number): boolean {
    for (const partial of this.partials) {
      this.work++
      if (hasChunk(partial.have, chunk) && partial.inFlight.size < this.allowedInFlight(partial.id)) return true
    }
    return false
  }

  /**
   * A chunk only seeds have, by seedOnlyPick among all of them (or SEED_SAMPLES per downloader);
   * else any while this download has nothing in flight (the other downloaders are slow or gone).
   */
  private seedOnlyChunk(level: number, size: number): number | undefined {
    const start = this.randomBelow(size)
    if (this.slice.of === 1) return this.waiting.at(level, start)
    const candidates: number[] = []
    for (let tried = 0; tried < Math.min(size, SEED_SAMPLES * this.slice.of); tried++) candidates.push(this.waiting.at(level, (start + tried) % size))
    this.work += candidates.length
    return seedOnlyPick(candidates, this.slice) ?? (this.attemptCount === 0 ? this.waiting.at(level, start) : undefined)
  }

  private updateSlice(): void {
    if (this.self !== undefined) this.slice = sliceOf(this.self, this.partials)
  }

  /** Every chunk some source has is in flight: idle sources may ask for a copy. */
  private inEndgame(): boolean {
    return this.attemptCount > 0 && this.waiting.size === this.waiting.levelSize(0)
  }

  /** An endgame copy for `source` (endgame-copy.ts). */
  private pickCopy(source: Source): number | undefined {
    const {chunk, looked} = oldestToCopy(this.attempts, source)
    this.work += looked
    return chunk
  }

  private startAttempt(source: Source, chunk: number): void {
    const attempts = this.attempts.get(chunk)
    if (attempts === undefined) {
      this.fileWaiting(chunk, false)
      this.attempts.set(chunk, [{source, started: this.sequence}])
    } else attempts.push({source, started: this.sequence})
    this.sequence++
    this.attemptCount++
    source.inFlight.add(chunk)
  }

  private endAttempt(source: Source, chunk: number): void {
    const attempts = this.attempts.get(chunk)
    const index = attempts?.findIndex((attempt) => attempt.source === source) ?? -1
    if (attempts === undefined || index < 0) return
    attempts.splice(index, 1)
    this.attemptCount--
    source.inFlight.delete(chunk)
    if (attempts.length > 0) return
    this.attempts.delete(chunk)
    if (this.needed[chunk] === 1) this.fileWaiting(chunk, true)
  }

  /** Files a waiting chunk in the shared set and in every partial holder's set, or takes it out of all. */
  private fileWaiting(chunk: number, waits: boolean): void {
    const level = this.rarity[chunk]!
    if (waits) this.waiting.add(chunk, level)
    else this.waiting.remove(chunk, level)
    for (const partial of this.partials) {
      if (!hasChunk(partial.have, chunk)) continue
      if (waits) partial.waiting.add(chunk, level)
      else partial.waiting.remove(chunk, level)
    }
  }

  private changeRarity(chunk: number, delta: number): void {
    const from = this.rarity[chunk]!
    const to = from + delta
    this.rarity[chunk] = to
    if (!this.waiting.has(chunk)) return
    this.waiting.move(chunk, from, to)
    for (const partial of this.partials) partial.waiting.move(chunk, from, to)
  }

  private randomBelow(size: number): number {
    return Math.min(size - 1, Math.floor(this.random() * size))
  }

  private checkIndex(chunk: number): void {
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunkCount) {
      throw new LanspreadError('internal', `chunk ${chunk} is outside the game's ${this.chunkCount} chunks`)
    }
  }
}
