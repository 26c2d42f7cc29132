// How many chunk reads a source runs at once, per peer and in total: each holds one chunk
// buffer until its bytes are sent, so these two numbers bound the memory of serving.
import {LanspreadError} from '../errors.js'

export interface ChunkPermitLimits {
  perPeer: number
  total: number
}

export const DEFAULT_CHUNK_PERMITS: ChunkPermitLimits = {perPeer: 8, total: 32}

/** Gives the permit back; calling it more than once is harmless. */
export type ReleasePermit = () => void

interface Waiter {
  peerId: string
  grant: (release: ReleasePermit) => void
}

export class ChunkPermits {
  private readonly held = new Map<string, number>()
  private total = 0
  private readonly waiting: Waiter[] = []

  constructor(private readonly limits: ChunkPermitLimits = DEFAULT_CHUNK_PERMITS) {}

  /** Permits held now (for tests and status). */
  inUse(peerId?: string): number {
    return peerId === undefined ? this.total : (this.held.get(peerId) ?? 0)
  }

  /**
   * A permit for one chunk of `peerId`, in arrival order; `busy` when none frees up within
   * `waitMs`, so a peer that opens hundreds of streams gets refusals, not a queue for ever.
   */
  acquire(peerId: string, waitMs: number): Promise<ReleasePermit> {
    // Every waiter that fits is granted at each release, so those still waiting do not fit: no queue jumping.
    if (this.fits(peerId)) return Promise.resolve(this.take(peerId))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        peerId,
        grant: (release) => {
          clearTimeout(timer)
          resolve(release)
        },
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        reject(
          new LanspreadError('busy', `this peer is serving ${this.inUse(peerId)} chunks to ${peerId} and ${this.total} in all; no slot freed within ${waitMs} ms`, {
            hint: 'ask again later or ask another source',
          }),
        )
      }, waitMs)
      this.waiting.push(waiter)
    })
  }

  private fits(peerId: string): boolean {
    return this.total < this.limits.total && (this.held.get(peerId) ?? 0) < this.limits.perPeer
  }

  private take(peerId: string): ReleasePermit {
    this.total++
    this.held.set(peerId, (this.held.get(peerId) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
      const left = (this.held.get(peerId) ?? 1) - 1
      if (left === 0) this.held.delete(peerId)
      else this.held.set(peerId, left)
      this.grantWaiting()
    }
  }

  /** Grants the oldest waiters that fit; one peer at its limit does not hold back the others. */
  private grantWaiting(): void {
    for (let i = 0; i < this.waiting.length && this.total < this.limits.total; ) {
      const waiter = this.waiting[i]!
      if (!this.fits(waiter.peerId)) {
        i++
        continue
      }
      this.waiting.splice(i, 1)
      waiter.grant(this.take(waiter.peerId))
    }
  }
}
