// The chunk picker's vocabulary: its options, what a pick and a cancel are, and the sources it
// tracks (a seed has every chunk; a partial source, the chunks it verified, filed by rarity).
import type {PickerLimits} from './picker-limits.js'
import type {RarityBuckets} from './rarity-buckets.js'

export interface ChunkPickerOptions {
  /** Chunks of the game. */
  chunkCount: number
  /** Chunks still to fetch (the rest are on disk already). */
  needed: Iterable<number>
  /** A random number in [0, 1): Math.random, or a seeded generator in tests. */
  random: () => number
  limits?: Partial<PickerLimits>
  /**
   * This downloader's peer_id. With it, fetchers that share a seed split the chunks only the
   * seed has between them (by their rank among the downloaders they know), so they rarely ask
   * the seed for the same chunk before any of them holds it.
   */
  self?: string
}

export interface Pick {
  chunk: number
  /** An endgame copy: the chunk is in flight on another source too. */
  duplicate: boolean
}

/** An attempt to cancel: its chunk came from another source. */
export interface Cancel {
  source: string
  chunk: number
}

export interface SourceBase {
  id: string
  inFlight: Set<number>
  rate: number | undefined
  /** The source's own bound on requests at once (a QUIC source asks for few), if lower. */
  cap?: number
}

export interface SeedSource extends SourceBase {
  kind: 'seed'
}

export interface PartialSource extends SourceBase {
  kind: 'partial'
  /** The chunks it verified, and those of them waiting, by rarity. */
  have: Uint8Array
  waiting: RarityBuckets
}

export type Source = SeedSource | PartialSource

export interface Attempt {
  source: Source
  started: number
}
