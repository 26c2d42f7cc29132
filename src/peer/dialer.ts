// Keeps connections to the peers discovery reports: dials each address, and re-dials a
// persistent one (a static peer) with backoff while it is down or after its connection drops.
// A peer already connected whose announced library did not move costs nothing.
import {errorMessage} from '../errors.js'
import type {DiscoveredPeer} from '../discovery/discovery.js'
import {Backoff} from './backoff.js'
import {formatAddress} from './peer-table.js'
import type {PeerSessions} from './peer-sessions.js'
import type {RuntimeSettings} from './settings.js'

export interface DialerComponents {
  sessions: PeerSessions
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
}

export class Dialer {
  private readonly loops = new Map<string, Promise<void>>()
  private readonly abort = new AbortController()

  constructor(private readonly components: DialerComponents) {}

  /** A peer reported by a discovery source; true when it is connected already. */
  found(peer: DiscoveredPeer): boolean {
    const key = formatAddress(peer.address)
    if (peer.peer_id && this.components.sessions.connectionOf(peer.peer_id)) {
      if (peer.position) this.components.sessions.announced(peer.peer_id, peer.position)
      return true
    }
    if (this.loops.has(key)) return false
    const loop = (peer.persistent ? this.keepConnected(peer) : this.dialOnce(peer)).finally(() => this.loops.delete(key))
    this.loops.set(key, loop)
    return false
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await Promise.allSettled(this.loops.values())
  }

  private async dialOnce(peer: DiscoveredPeer): Promise<void> {
    try {
      await this.components.sessions.connect(peer.address)
    } catch (error) {
      this.components.log('warn', `could not reach peer at ${formatAddress(peer.address)}: ${errorMessage(error)}`)
    }
  }

  private async keepConnected(peer: DiscoveredPeer): Promise<void> {
    const backoff = new Backoff(this.components.settings.redialMinMs, this.components.settings.redialMaxMs)
    let peerId: string | undefined
    let reported = false
    while (!this.abort.signal.aborted) {
      const connection = peerId ? this.components.sessions.connectionOf(peerId) : undefined
      if (connection) {
        await Promise.race([connection.closed, this.aborted()])
        continue
      }
      try {
        peerId = await this.components.sessions.connect(peer.address)
        if (peerId === undefined) return // refused (ourselves, another protocol, a wrong certificate): logged already
        backoff.reset()
        reported = false
      } catch (error) {
        if (this.abort.signal.aborted) return
        // Said once per outage, not at every attempt.
        if (!reported) this.components.log('warn', `peer at ${formatAddress(peer.address)} is not reachable (${errorMessage(error)}); trying again in the background`)
        reported = true
        await this.sleep(backoff.next())
      }
    }
  }

  private aborted(): Promise<void> {
    return new Promise((resolve) => {
      if (this.abort.signal.aborted) resolve()
      else this.abort.signal.addEventListener('abort', () => resolve(), {once: true})
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer)
        resolve()
      }, {once: true})
    })
  }
}
