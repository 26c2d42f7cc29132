// The chunks a running download has verified and written, as a live read-only view (SPEC §5.1):
// what a partial peer serves and announces. Chunks are numbered across the whole game in
// manifest order: file by file in the manifest's order, then chunk by chunk within the file,
// from 0 (an empty file has one chunk, verified from the start). A ChunkMap's bitmap uses the
// same numbering. Chunks already on disk when the download started count from the start, so
// a restarted download announces what it verified before.
import path from 'node:path'
import {LanspreadError} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {GameManifest} from '../protocol/messages.js'
import type {PlannedChunk, PlannedFile} from './planner.js'

/** Called with a chunk's global index once it is verified and its bytes are written. */
export type VerifiedListener = (index: number) => void

/** A running download as others may see it: its manifest and the chunks it holds verified. */
export interface DownloadView {
  readonly id: GameId
  /** The manifest being downloaded, with its content_hash. */
  readonly manifest: GameManifest
  /** Chunks of the game (the length of its have-map). */
  readonly chunkCount: number
  /** Chunks verified so far. */
  readonly verifiedCount: number
  /** True once chunk `index` (global numbering) is verified and written. */
  has(index: number): boolean
  /** True once the chunk of manifest path `filePath` starting at `offset` is verified and written. */
  hasChunk(filePath: string, offset: number): boolean
  /** The global index of the chunk of `filePath` at `offset`; undefined unless it starts a chunk of the manifest. */
  indexOf(filePath: string, offset: number): number | undefined
  /** Every verified chunk's global index, ascending. */
  verifiedIndexes(): number[]
  /**
   * Where a manifest path's bytes are while the download runs, relative to the game root
   * (POSIX): the path itself, except version.ini's (`.version.ini.tmp` until it is published).
   */
  diskPath(filePath: string): string
  /** Calls `listener` for each chunk verified from now on; returns the unsubscribe. Listeners must not throw. */
  onVerified(listener: VerifiedListener): () => void
}

/** The downloader's side of the view: it reports each chunk as it lands. */
export class VerifiedChunks implements DownloadView {
  readonly chunkCount: number
  private verified = 0
  /** Global index of each file's first chunk, in manifest order; one more entry: chunkCount. */
  private readonly firsts: number[] = []
  private readonly positions = new Map<string, number>()
  private readonly diskPaths = new Map<string, string>()
  private readonly listeners = new Set<VerifiedListener>()

  /**
   * @param root the game root the plan writes under (each file's diskPath is inside it)
   * @param files the plan's files, whose `verified` the downloader fills as chunks land
   */
  constructor(
    readonly manifest: GameManifest,
    root: string,
    private readonly files: readonly PlannedFile[],
  ) {
    let next = 0
    for (const [position, file] of files.entries()) {
      this.firsts.push(next)
      next += file.entry.chunks.length
      this.positions.set(file.entry.path, position)
      this.diskPaths.set(file.entry.path, path.relative(root, file.diskPath).split(path.sep).join('/'))
      this.verified += file.verified.filter((hash) => hash !== undefined).length
    }
    this.firsts.push(next)
    this.chunkCount = next
  }

  get id(): GameId {
    return this.manifest.id
  }

  get verifiedCount(): number {
    return this.verified
  }

  has(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) return false
    const position = this.fileAt(index)
    return this.files[position]!.verified[index - this.firsts[position]!] !== undefined
  }

  hasChunk(filePath: string, offset: number): boolean {
    const index = this.indexOf(filePath, offset)
    return index !== undefined && this.has(index)
  }

  indexOf(filePath: string, offset: number): number | undefined {
    const position = this.positions.get(filePath)
    if (position === undefined || !Number.isInteger(offset) || offset < 0 || offset % this.manifest.chunk_size !== 0) return undefined
    const chunk = offset / this.manifest.chunk_size
    if (chunk >= this.files[position]!.entry.chunks.length) return undefined
    return this.firsts[position]! + chunk
  }

  verifiedIndexes(): number[] {
    const indexes: number[] = []
    for (const [position, file] of this.files.entries()) {
      for (const [chunk, hash] of file.verified.entries()) if (hash !== undefined) indexes.push(this.firsts[position]! + chunk)
    }
    return indexes
  }

  diskPath(filePath: string): string {
    const found = this.diskPaths.get(filePath)
    if (found === undefined) throw new LanspreadError('internal', `${filePath} is not a file of the manifest of game ${this.id} being downloaded`)
    return found
  }

  onVerified(listener: VerifiedListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The scheduler verified and wrote `chunk` (and marked it in its file's `verified`). */
  landed(chunk: PlannedChunk): void {
    const position = this.positions.get(chunk.file.entry.path)
    if (position === undefined || chunk.file.verified[chunk.index] === undefined) return
    this.verified++
    const index = this.firsts[position]! + chunk.index
    for (const listener of this.listeners) {
      try {
        listener(index)
      } catch {
        // A listener's failure (an announcement that could not be queued) is its own: the download goes on.
      }
    }
  }

  /** The file holding global chunk `index`: the last whose first chunk is at or before it. */
  private fileAt(index: number): number {
    let low = 0
    let high = this.files.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.firsts[middle]! <= index) low = middle
      else high = middle - 1
    }
    return low
  }
}
