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

/** Page-aligned buffers of one size that may exist at once in the process (16 × 4 MiB: the downloader's 64 MiB bound). */
export const MAX_ALIGNED_BUFFERS = 16

/**
 * The page-aligned buffers of one size, shared by every pool of the process. V8 does not count
 * a WebAssembly.Memory as external memory, so a dropped one stays resident until a major GC
 * that nothing prompts: a pool per fetch left its buffers behind at every fetch (bench:memory:
 * serve's RSS grew 30–60 MB a fetch). They are kept and handed out again instead, and the
 * number ever allocated is bounded: beyond it, a pool hands out plain buffers.
 */
export class AlignedBuffers {
  private readonly free: Buffer[] = []
  private allocated = 0
  /** A buffer never given back (its connection failed mid-read) frees its place once collected. */
  private readonly lost = new FinalizationRegistry<undefined>(() => this.allocated--)

  constructor(
    readonly size: number,
    readonly maxBuffers = MAX_ALIGNED_BUFFERS,
  ) {}

  /** A free or new page-aligned buffer, or undefined when all maxBuffers are out. */
  take(): Buffer | undefined {
    const reused = this.free.pop()
    if (reused) return reused
    if (this.allocated >= this.maxBuffers) return undefined
    this.allocated++
    const buffer = allocPageAligned(this.size)
    this.lost.register(buffer.buffer, undefined)
    return buffer
  }

  give(buffer: Buffer): void {
    this.free.push(buffer)
  }

  /** Buffers allocated so far (free or out): never more than maxBuffers. */
  allocatedCount(): number {
    return this.allocated
  }
}

const processAligned = new Map<number, AlignedBuffers>()

/** The process's page-aligned buffers of `size` bytes. */
export function sharedAlignedBuffers(size: number): AlignedBuffers {
  let buffers = processAligned.get(size)
  if (!buffers) processAligned.set(size, (buffers = new AlignedBuffers(size)))
  return buffers
}

export class ChunkBufferPool {
  private readonly free: Buffer[] = []
  private readonly aligned: AlignedBuffers | undefined

  /**
   * @param capacity the size of the buffers kept (a larger request gets a buffer of its own)
   * @param maxFree how many free buffers are kept at most (the downloader's memory bound holds
   *   about 64 MiB of chunks in flight, so ~20 of 4 MiB are ever in use)
   * @param options.pageAligned buffers start on a page (`allocPageAligned`), so the downloader can
   *   write a chunk with O_DIRECT straight from it; they come from `options.aligned` (default: the
   *   process's, shared by every page-aligned pool), plain ones once those are all out
   */
  constructor(
    readonly capacity: number,
    private readonly maxFree = 24,
    options: {pageAligned?: boolean; aligned?: AlignedBuffers} = {},
  ) {
    if (options.pageAligned) this.aligned = options.aligned ?? sharedAlignedBuffers(capacity)
  }

  take(length: number): ChunkBufferLease {
    if (length > this.capacity) return {buffer: Buffer.allocUnsafe(length), release: () => {}}
    const aligned = this.aligned?.take()
    if (aligned) return this.lease(aligned, () => this.aligned!.give(aligned))
    const buffer = this.free.pop() ?? Buffer.allocUnsafe(this.capacity)
    return this.lease(buffer, () => {
      if (this.free.length < this.maxFree) this.free.push(buffer)
    })
  }

  /** Free plain buffers held now, for tests (page-aligned ones are the process's). */
  freeCount(): number {
    return this.free.length
  }

  private lease(buffer: Buffer, giveBack: () => void): ChunkBufferLease {
    let released = false
    return {
      buffer,
      release: () => {
        if (released) return
        released = true
        giveBack()
      },
    }
  }
}
