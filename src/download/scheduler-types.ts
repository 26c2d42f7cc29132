// The chunk scheduler's interface: what it is given (the game, its chunks, its components),
// what it returns, and SwarmSources, the handle that changes a running download's sources.
import type {GameId} from '../library/layout.js'
import type {GameSource} from './game-source.js'
import type {PlannedChunk} from './planner.js'
import type {SourceKind} from './scheduler-sources.js'

export type {SourceKind} from './scheduler-sources.js'

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
  /** A source was dropped for this game: for good (bad bytes), or until it joins again (failures past the limit). */
  onDropped?(peerId: string, reason: string, forGood: boolean): void
  now?(): number
  /** A random number in [0, 1) for the picker (seeded in tests). */
  random?(): number
}

export interface SchedulerResult {
  bytes: number
  sources: {peer_id: string; bytes: number; kind: SourceKind}[]
  retried_chunks: number
  peak_buffered_bytes: number
}

/** A chunk to fetch and its index in the game (the have-map's numbering). */
export interface SwarmChunk {
  planned: PlannedChunk
  index: number
}

export interface SchedulerGame {
  id: GameId
  manifestHash: string
  /** Chunks of the whole game (those on disk included). */
  chunkCount: number
  /** Sources may join while it runs: chunks no source holds wait `sourceGraceMs` for one before the download fails. */
  open?: boolean
  /** This peer's peer_id: fetchers sharing a seed split the chunks only it has by their rank (ChunkPicker). */
  self?: string
}

/** What changes a running download's sources (the fetch layer calls it as peers come and go). */
export interface SwarmSources {
  /**
   * A source joins: a seed (every chunk) or a partial peer with the chunks it verified (indexes
   * checked by the caller). A source present already gets `have` added; a partial that joins as
   * a seed has every chunk from now on. False (ignored) for a source dropped for good, or once
   * the download settled; a source dropped after failures may join again.
   */
  join(source: GameSource, kind: SourceKind, have?: Iterable<number>): boolean
  /** A partial source verified more chunks (its Have). */
  have(peerId: string, chunks: Iterable<number>): void
  /** The source is gone (disconnected, or no longer offers the content): its requests go to others. */
  leave(peerId: string): void
  /** Dropped for good for this game (bad bytes): never taken again. */
  isDropped(peerId: string): boolean
  /** What the source is in the swarm now; undefined when it is not in it (never joined, left, dropped). */
  kindOf(peerId: string): SourceKind | undefined
}
