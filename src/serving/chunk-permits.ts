// How many chunk reads a source runs at once, per peer, per source address and in total: each
// holds one chunk buffer until its bytes are sent, so these numbers bound the memory of serving.
import {LanspreadError} from '../errors.js'

export interface ChunkPermitLimits {
  perPeer: number
  total: number
  /** Permits of all the peer_ids of one source address (peer_ids are free to make); default `total`. */
  perAddress?: number
  /**
   * Permits an address that already holds some cannot take: they are kept for addresses
   * holding none, so a peer not served yet gets a slot soon whoever holds the rest. Default 0.
   */
  reserved?: number
}

/** Two busy addresses take at most 24 of the 32; the last 8 go to addresses not served yet. */
export const DEFAULT_CHUNK_PERMITS: ChunkPermitLimits = {perPeer: 8, total: 32, perAddress: 16, reserved: 8}

/** Gives the permit back; calling it more than once is harmless. */
export type ReleasePermit = () => void

interface Waiter {
  peerId: string
  address: string
  grant: (release: ReleasePermit) => void
}

export class ChunkPermits {
  private readonly held = new Map<string, number>()
  private readonly heldByAddress = new Map<string, number>()
  private total = 0
  private readonly waiting: Waiter[] = []

  constructor(private readonly limits: ChunkPermitLimits = DEFAULT_CHUNK_PERMITS) {}

  /** Permits held now (for tests and status). */
  inUse(peerId?: string): number {
    return peerId === undefined ? this.total : (this.held.get(peerId) ?? 0)
  }

  /** Permits held now by every peer_id of one source address. */
  inUseByAddress(address: string): number {
    return this.heldByAddress.get(address) ?? 0
  }

  /**
   * A permit for one chunk of `peerId`, in arrival order; `busy` when none frees up within
   * `waitMs`, so a peer that opens hundreds of streams gets refusals, not a queue for ever.
   * `address` is the request's source address; without one the peer counts as its own address.
   */
  acquire(peerId: string, waitMs: number, address?: string): Promise<ReleasePermit> {
    const source = address ?? `peer:${peerId}`
    // Every waiter that fits is granted at each release, so those still waiting do not fit: no queue jumping.
    if (this.fits(peerId, source)) return Promise.resolve(this.take(peerId, source))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        peerId,
        address: source,
        grant: (release) => {
          clearTimeout(timer)
          resolve(release)
        },
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1)
        reject(
          new LanspreadError(
            'busy',
            `this peer is serving ${this.inUse(peerId)} chunks to ${peerId}, ${this.inUseByAddress(source)} to its address and ${this.total} in all; no slot freed within ${waitMs} ms`,
            {
              hint: 'ask again later or ask another source',
            },
          ),
        )
      }, waitMs)
      this.waiting.push(waiter)
    })
  }

  private fits(peerId: string, address: string): boolean {
    const {total, perPeer, perAddress = total, reserved = 0} = this.limits
    const byAddress = this.heldByAddress.get(address) ?? 0
    if (this.total >= total || (this.held.get(peerId) ?? 0) >= perPeer || byAddress >= perAddress) return false
    // An address already served leaves the reserve to those that are not.
    return byAddress === 0 || this.total < total - reserved
  }

  private take(peerId: string, address: string): ReleasePermit {
    this.total++
    bump(this.held, peerId, 1)
    bump(this.heldByAddress, address, 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
      bump(this.held, peerId, -1)
      bump(this.heldByAddress, address, -1)
      this.grantWaiting()
    }
  }

  /** Grants the oldest waiters that fit; one peer at its limit does not hold back the others. */
  private grantWaiting(): void {
    for (let i = 0; i < this.waiting.length && this.total < this.limits.total;) {
      const waiter = this.waiting[i]!
      if (!this.fits(waiter.peerId, waiter.address)) {
        i++
        continue
      }
      this.waiting.splice(i, 1)
      waiter.grant(this.take(waiter.peerId, waiter.address))
    }
  }
}

/** Adds `by` to a count, dropping it at zero so the maps hold only current holders. */
function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by
  if (next <= 0) counts.delete(key)
  else counts.set(key, next)
}
