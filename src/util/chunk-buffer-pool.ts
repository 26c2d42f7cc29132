// Chunk buffers reused by the downloader and the serving side (so it lives below both): a
// fresh 4 MiB buffer per chunk costs page faults, frees and V8's external-memory GCs (~15% of
// the downloader's loop in the bench:fetch profile).
// A buffer goes back only when its bytes are written or dropped, so a reused one is never read.
import {allocPageAligned} from './aligned-memory.js'

export interface ChunkBufferLease {
  /** At least the length asked for. */
  readonly buffer: Buffer
  /** Gives the buffer back; later calls do nothing. */
  release(): void
}

export class ChunkBufferPool {
  private readonly free: Buffer[] = []

  /**
   * @param capacity the size of the buffers kept (a larger request gets a buffer of its own)
   * @param maxFree how many free buffers are kept at most (the downloader's memory bound holds
   *   about 64 MiB of chunks in flight, so ~20 of 4 MiB are ever in use)
   * @param options.pageAligned buffers start on a page (`allocPageAligned`), so the downloader can
   *   write a chunk with O_DIRECT straight from it
   */
  constructor(
    readonly capacity: number,
    private readonly maxFree = 24,
    private readonly options: {pageAligned?: boolean} = {},
  ) {}

  take(length: number): ChunkBufferLease {
    if (length > this.capacity) return {buffer: this.allocate(length), release: () => {}}
    const buffer = this.free.pop() ?? this.allocate(this.capacity)
    let released = false
    return {
      buffer,
      release: () => {
        if (released) return
        released = true
        if (this.free.length < this.maxFree) this.free.push(buffer)
      },
    }
  }

  private allocate(size: number): Buffer {
    return this.options.pageAligned ? allocPageAligned(size) : Buffer.allocUnsafe(size)
  }

  /** Free buffers held now, for tests. */
  freeCount(): number {
    return this.free.length
  }
}
