// When each downloaded file reaches the disk: its fsync starts the moment its last missing
// chunk is written, so flushing one file overlaps fetching the next instead of all at the end.
import type {PlannedChunk, PlannedFile} from './planner.js'

export class FileSyncs {
  /** Chunk indexes still to be written, per file. */
  private readonly left = new Map<string, Set<number>>()
  private readonly syncs = new Map<string, Promise<void>>()
  /** Files written to after their early fsync started (never expected): synced again at the end. */
  private readonly dirtyAgain = new Set<string>()

  constructor(
    files: readonly PlannedFile[],
    missing: readonly PlannedChunk[],
    private readonly sync: (file: string) => Promise<void>,
  ) {
    for (const file of files) this.left.set(file.diskPath, new Set())
    for (const chunk of missing) this.left.get(chunk.file.diskPath)?.add(chunk.index)
  }

  /** A chunk is on disk; the file's last one starts that file's fsync in the background. */
  written(chunk: PlannedChunk): void {
    const path = chunk.file.diskPath
    if (this.syncs.has(path)) return void this.dirtyAgain.add(path)
    const left = this.left.get(path)
    left?.delete(chunk.index)
    if (left?.size === 0) this.start(path)
  }

  /** Every file synced (those with nothing fetched too); rejects with the first failure. */
  async finish(): Promise<void> {
    for (const path of this.left.keys()) if (!this.syncs.has(path)) this.start(path)
    await Promise.all(this.syncs.values())
    for (const path of this.dirtyAgain) await this.sync(path)
  }

  /** Waits for the fsyncs already started (a failed download does not leave them running). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.syncs.values())
  }

  private start(path: string): void {
    const syncing = this.sync(path)
    // Awaited in finish(); until then a failure must not surface as an unhandled rejection.
    syncing.catch(() => undefined)
    this.syncs.set(path, syncing)
  }
}
