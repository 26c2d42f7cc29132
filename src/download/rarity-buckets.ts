// Chunks filed by rarity (how many sources have each), so the chunk picker finds "a random one
// of the rarest" by looking at a few levels instead of every chunk of a 16k-chunk game.
import {LanspreadError} from '../errors.js'

/**
 * A set of chunk indexes, each filed under a level. Add, remove, move and "the i-th chunk of a
 * level" are O(1); the lowest non-empty level is O(levels). The owner passes each chunk's level
 * (its rarity, which it keeps anyway), so a set costs one Int32Array of the game's chunk count.
 */
export class RarityBuckets {
  private readonly levels: number[][] = []
  /** A chunk's position in its level's array, or -1 when it is not in the set. */
  private readonly slot: Int32Array
  private count = 0

  constructor(chunkCount: number) {
    this.slot = new Int32Array(chunkCount).fill(-1)
  }

  get size(): number {
    return this.count
  }

  has(chunk: number): boolean {
    return this.slot[chunk]! >= 0
  }

  add(chunk: number, level: number): void {
    if (this.has(chunk)) return
    while (this.levels.length <= level) this.levels.push([])
    const bucket = this.levels[level]!
    this.slot[chunk] = bucket.length
    bucket.push(chunk)
    this.count++
  }

  /** Removes `chunk` (filed under `level`) if it is here. */
  remove(chunk: number, level: number): void {
    const at = this.slot[chunk]!
    if (at < 0) return
    const bucket = this.levels[level]
    if (bucket?.[at] !== chunk) throw new LanspreadError('internal', `chunk ${chunk} is not filed under rarity ${level}`)
    const last = bucket.pop()!
    if (last !== chunk) {
      bucket[at] = last
      this.slot[last] = at
    }
    this.slot[chunk] = -1
    this.count--
  }

  /** Refiles `chunk` from level `from` to `to` if it is here. */
  move(chunk: number, from: number, to: number): void {
    if (!this.has(chunk)) return
    this.remove(chunk, from)
    this.add(chunk, to)
  }

  levelSize(level: number): number {
    return this.levels[level]?.length ?? 0
  }

  /** The `index`-th chunk of `level` (0 ≤ index < levelSize(level)). */
  at(level: number, index: number): number {
    return this.levels[level]![index]!
  }

  /** The lowest level at or above `from` that holds a chunk. */
  lowestLevel(from: number): number | undefined {
    for (let level = from; level < this.levels.length; level++) if (this.levels[level]!.length > 0) return level
    return undefined
  }

  /** The chunks of `level`, ascending. */
  chunksAt(level: number): number[] {
    return [...(this.levels[level] ?? [])].sort((a, b) => a - b)
  }
}
