// Keeps connections to the peers discovery reports: dials each address, and re-dials a
// persistent one (a static peer) with backoff while it is down or after its connection drops.
// A peer already connected whose announced library did not move costs nothing. Of two peers
// that found each other by peer_id, only one dials: crossing dials cost two handshakes and a
// close, and under load could leave the pair with no connection at all.
import {errorMessage} from '../errors.js'
import type {DiscoveredPeer} from '../discovery/discovery.js'
import {Backoff} from './backoff.js'
import {type PeerAddress, formatAddress} from './peer-table.js'
import type {PeerSessions} from './peer-sessions.js'
import type {RuntimeSettings} from './settings.js'

export interface DialerComponents {
  /** This peer's peer_id: the dial rule compares it with the other's. */
  selfId: string
  sessions: Pick<PeerSessions, 'connect' | 'connectionOf' | 'announced'>
  /**
   * The peer connected now that listens at this address, if any: a static peer whose first dial
   * failed may have dialled us since, and dialling it again would replace that connection.
   */
  connectedAt?(address: PeerAddress): string | undefined
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
  now?: () => number
  random?: () => number
}

/**
 * Dials to peers found by discovery in flight at once. A LAN party switched on together finds
 * dozens of peers in a second; dialling all at once on a loaded machine made every QUIC
 * handshake outlast its timeout (40 peers: thousands of timed-out dials, each redone).
 */
export const MAX_CONCURRENT_DIALS = 8

/**
 * Of those, how many may be retries of peers whose last dial failed. Retries wait longer
 * (dialPatienceMs, up to a minute), so a few peers that answer mDNS but not QUIC (a firewall
 * that lets one port through) would otherwise hold every slot and starve first dials to
 * reachable peers; first dials also go before retries in the queue.
 */
export const MAX_RETRY_DIALS = MAX_CONCURRENT_DIALS / 2

/** The most a dial may wait: QUIC's idle timeout bounds a handshake anyway. */
export const MAX_DIAL_PATIENCE_MS = 60_000

/**
 * How long a dial (and its Hello) may take after `failures` dials to that peer timed out or
 * failed: the request timeout, doubled per failure. On a machine so loaded that handshakes
 * outlast the request timeout, a fixed bound abandons every handshake just before it would
 * finish and redoes it from scratch; a peer that is simply gone costs a longer-held retry
 * slot (MAX_RETRY_DIALS keeps those from starving first dials).
 */
export function dialPatienceMs(requestTimeoutMs: number, failures: number): number {
  return Math.min(requestTimeoutMs * 2 ** Math.min(failures, 16), Math.max(requestTimeoutMs, MAX_DIAL_PATIENCE_MS))
}

/** A peer found by peer_id that is not connected yet: when we may dial it next. */
interface Pending {
  notBefore: number
  backoff: Backoff
  /** Dials to it that failed in a row: each next one waits longer (dialPatienceMs). */
  failures: number
}

export class Dialer {
  private readonly loops = new Map<string, Promise<void>>()
  private readonly pending = new Map<string, Pending>()
  private readonly abort = new AbortController()
  private stopped: Promise<void> | undefined
  private readonly slots = new DialSlots(MAX_CONCURRENT_DIALS, MAX_RETRY_DIALS)
  private readonly now: () => number
  private readonly random: () => number

  constructor(private readonly components: DialerComponents) {
    this.now = components.now ?? Date.now
    this.random = components.random ?? Math.random
  }

  /** A peer reported by a discovery source; true when it is connected already. */
  found(peer: DiscoveredPeer): boolean {
    const key = formatAddress(peer.address)
    if (peer.peer_id && this.components.sessions.connectionOf(peer.peer_id)) {
      this.pending.delete(peer.peer_id)
      if (peer.position) this.components.sessions.announced(peer.peer_id, peer.position)
      return true
    }
    if (this.loops.has(key)) return false
    if (peer.peer_id && !peer.persistent && !this.mayDial(peer.peer_id)) return false
    const loop = (peer.persistent ? this.keepConnected(peer) : this.dialOnce(peer)).finally(() => this.loops.delete(key))
    this.loops.set(key, loop)
    return false
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await Promise.allSettled(this.loops.values())
  }

  /**
   * The peer with the smaller peer_id dials at once (the connection chooseConnection keeps
   * anyway); the other waits one request timeout (plus jitter) for that dial, and only then
   * dials itself: the other side may not hear us (one-way multicast), or may believe it is
   * still connected to a previous run of us. A failed dial backs off (redial settings).
   */
  private mayDial(peerId: string): boolean {
    const now = this.now()
    let state = this.pending.get(peerId)
    if (!state) {
      const {settings} = this.components
      const wait = this.components.selfId < peerId ? 0 : settings.requestTimeoutMs + Math.round(this.random() * 1000)
      state = {notBefore: now + wait, backoff: new Backoff(settings.redialMinMs, settings.redialMaxMs, this.random), failures: 0}
      this.pending.set(peerId, state)
    }
    return now >= state.notBefore
  }

  private async dialOnce(peer: DiscoveredPeer): Promise<void> {
    const failures = (peer.peer_id ? this.pending.get(peer.peer_id)?.failures : undefined) ?? 0
    const retry = failures > 0
    const turn = this.slots.take(retry)
    if (turn) await turn
    try {
      // It may have dialled us while this dial waited its turn, or serve may be stopping.
      if (this.abort.signal.aborted || (peer.peer_id && this.components.sessions.connectionOf(peer.peer_id))) return
      const timeoutMs = dialPatienceMs(this.components.settings.requestTimeoutMs, failures)
      const peerId = await this.components.sessions.connect(peer.address, {
        timeoutMs,
        signal: this.abort.signal,
        ...(peer.transports ? {peer: peer.transports} : {}),
      })
      if (peerId) this.pending.delete(peerId)
    } catch (error) {
      if (this.abort.signal.aborted) return
      const state = peer.peer_id ? this.pending.get(peer.peer_id) : undefined
      if (state) {
        state.notBefore = this.now() + state.backoff.next()
        state.failures++
      }
      this.components.log('warn', `could not reach peer at ${formatAddress(peer.address)}: ${errorMessage(error)}`)
    } finally {
      this.slots.give(retry)
    }
  }

  private async keepConnected(peer: DiscoveredPeer): Promise<void> {
    const backoff = new Backoff(this.components.settings.redialMinMs, this.components.settings.redialMaxMs)
    let peerId: string | undefined
    let reported = false
    while (!this.abort.signal.aborted) {
      peerId ??= this.components.connectedAt?.(peer.address)
      const connection = peerId ? this.components.sessions.connectionOf(peerId) : undefined
      if (connection) {
        await Promise.race([connection.closed, this.aborted()])
        continue
      }
      try {
        // A fixed bound: a static peer is down far more often than slow, and a long dial would
        // notice its return late (QUIC's retransmissions back off).
        peerId = await this.components.sessions.connect(peer.address, {signal: this.abort.signal})
        if (peerId === undefined) return // refused (ourselves, another protocol, a wrong certificate): logged already
        backoff.reset()
        reported = false
      } catch (error) {
        if (this.abort.signal.aborted) return
        // Said once per outage, not at every attempt.
        if (!reported)
          this.components.log('warn', `peer at ${formatAddress(peer.address)} is not reachable (${errorMessage(error)}); trying again in the background`)
        reported = true
        await this.sleep(backoff.next())
      }
    }
  }

  /** One promise for the life of the dialer: a listener per reconnect would pile up on the signal. */
  private aborted(): Promise<void> {
    this.stopped ??= new Promise((resolve) => {
      if (this.abort.signal.aborted) resolve()
      else this.abort.signal.addEventListener('abort', () => resolve(), {once: true})
    })
    return this.stopped
  }

  private sleep(ms: number): Promise<void> {
    // The listener goes when the timer fires: a static peer that stays down is re-dialled
    // forever, and one listener per wait would pile up on the signal for the life of serve.
    return new Promise((resolve) => {
      const signal = this.abort.signal
      const wake = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      signal.addEventListener('abort', wake, {once: true})
    })
  }
}

/** The dial slots: at most `max` dials at once, at most `maxRetries` of them retries; first dials are let in first. */
class DialSlots {
  private inFlight = 0
  private retries = 0
  private readonly queue: {retry: boolean; enter: () => void}[] = []

  constructor(
    private readonly max: number,
    private readonly maxRetries: number,
  ) {}

  /** Holds a slot for this dial at once, or returns the wait for one (so a free slot costs no tick). */
  take(retry: boolean): Promise<void> | undefined {
    if (this.fits(retry)) return void this.hold(retry)
    return new Promise<void>((enter) => this.queue.push({retry, enter}))
  }

  give(retry: boolean): void {
    this.inFlight--
    if (retry) this.retries--
    this.admitWaiting()
  }

  private fits(retry: boolean): boolean {
    return this.inFlight < this.max && (!retry || this.retries < this.maxRetries)
  }

  private hold(retry: boolean): void {
    this.inFlight++
    if (retry) this.retries++
  }

  private admitWaiting(): void {
    for (;;) {
      const first = this.queue.findIndex((waiter) => !waiter.retry)
      const next = Math.max(first, 0)
      const waiter = this.queue[next]
      if (!waiter || !this.fits(waiter.retry)) return
      this.queue.splice(next, 1)
      this.hold(waiter.retry)
      waiter.enter()
    }
  }
}
