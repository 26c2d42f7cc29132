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
  /** Arrival order: a peer's own requests are granted in it. */
  seq: number
  grant: (release: ReleasePermit) => void
}

/**
 * Permits are handed out fairly: when one frees up, it goes to the waiting request whose
 * address holds the fewest, then whose peer holds the fewest, then whose peer was granted one
 * longest ago, then the oldest. So twelve fetchers asking one seed share its slots evenly
 * (round-robin once their holdings are level), however many requests each one queues, and
 * fresh peer_ids of one address share that address's turn.
 */
export class ChunkPermits {
  private readonly held = new Map<string, number>()
  private readonly heldByAddress = new Map<string, number>()
  private total = 0
  /** Each peer's waiting requests, oldest first; a peer with none has no entry. */
  private readonly waiting = new Map<string, Waiter[]>()
  /** The grant count at each holding or waiting peer's last grant (no entry for the others: bounded). */
  private readonly lastGrant = new Map<string, number>()
  private grants = 0
  private arrivals = 0

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
   * A permit for one chunk of `peerId`, in fair order between peers (see the class); `busy`
   * when none frees up within `waitMs`, so a peer that opens hundreds of streams gets
   * refusals, not a queue for ever. `address` is the request's source address; without one
   * the peer counts as its own address.
   */
  acquire(peerId: string, waitMs: number, address?: string): Promise<ReleasePermit> {
    const source = address ?? `peer:${peerId}`
    // Every waiter that fits is granted at each release, so those still waiting do not fit: no queue jumping.
    if (this.fits(peerId, source)) return Promise.resolve(this.take(peerId, source))
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        peerId,
        address: source,
        seq: this.arrivals++,
        grant: (release) => {
          clearTimeout(timer)
          resolve(release)
        },
      }
      const timer = setTimeout(() => {
        this.dequeue(waiter)
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
      const queue = this.waiting.get(peerId)
      if (queue) queue.push(waiter)
      else this.waiting.set(peerId, [waiter])
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
    this.lastGrant.set(peerId, ++this.grants)
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
      bump(this.held, peerId, -1)
      bump(this.heldByAddress, address, -1)
      this.forgetIfIdle(peerId)
      this.grantWaiting()
    }
  }

  /** Grants waiters in fair order while any fits; one peer at its limit does not hold back the others. */
  private grantWaiting(): void {
    while (this.total < this.limits.total) {
      const next = this.fairest()
      if (!next) return
      this.dequeue(next)
      next.grant(this.take(next.peerId, next.address))
    }
  }

  /** The waiter that fits and comes first in the fair order, if any. */
  private fairest(): Waiter | undefined {
    let best: Waiter | undefined
    let bestKey: number[] = []
    for (const [peerId, queue] of this.waiting) {
      if ((this.held.get(peerId) ?? 0) >= this.limits.perPeer) continue // none of its requests fits
      // A peer's oldest request that fits (its requests normally share one address: the first).
      const candidate = queue.find((waiter) => this.fits(waiter.peerId, waiter.address))
      if (!candidate) continue
      const key = [
        this.heldByAddress.get(candidate.address) ?? 0,
        this.held.get(candidate.peerId) ?? 0,
        this.lastGrant.get(candidate.peerId) ?? 0,
        candidate.seq,
      ]
      if (!best || isBefore(key, bestKey)) {
        best = candidate
        bestKey = key
      }
    }
    return best
  }

  private dequeue(waiter: Waiter): void {
    const queue = this.waiting.get(waiter.peerId)
    if (!queue) return
    const at = queue.indexOf(waiter)
    if (at !== -1) queue.splice(at, 1)
    if (queue.length > 0) return
    this.waiting.delete(waiter.peerId)
    this.forgetIfIdle(waiter.peerId)
  }

  /** A peer that neither holds nor waits for a permit leaves no state behind (peer_ids are free to make). */
  private forgetIfIdle(peerId: string): void {
    if (!this.held.has(peerId) && !this.waiting.has(peerId)) this.lastGrant.delete(peerId)
  }
}

/** Lexicographic order of two sort keys of the same length. */
function isBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return false
}

/** Adds `by` to a count, dropping it at zero so the maps hold only current holders. */
function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by
  if (next <= 0) counts.delete(key)
  else counts.set(key, next)
}
