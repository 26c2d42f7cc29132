// Pushing our library to other peers after each local revision: one push per peer at a time,
// a revision that comes while one runs coalesced into one more (Coalescer), each sending what
// changed since the last push to that peer (a delta, or a LibrarySummary when the history no
// longer reaches back that far: the peer then pulls). A push that failed, or found no open
// connection to the peer, is tried again after a backoff, as a failed pull is: with static peers
// (no mDNS announcing our position) nothing else would tell that peer until our next revision,
// and a download it missed would not join it.
import {errorMessage} from '../../errors.js'
import type {Message} from '../../protocol/messages.js'
import {type LocalLibraryView, deltaToPush} from '../../sync/library-sync.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import {Coalescer} from '../../util/coalesce.js'
import {RetryTimer} from '../backoff.js'
import {tell} from '../messaging.js'
import type {RuntimeSettings} from '../settings.js'

export interface LibraryPushesComponents {
  library: LocalLibraryView
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
  /** The connection to push over, undefined when there is none (or the peer runtime stops). */
  connectionOf: (peerId: string) => PeerConnection | undefined
  /** A message went out to a peer (the runtime counts frames). */
  sent: (peerId: string, type: Message['type']) => void
}

/** One peer's pushes; the state itself is the Coalescer's key (a forgotten peer's push ends on its own). */
interface PushState {
  peerId: string
  sentRev: number
  retry: RetryTimer
}

export class LibraryPushes {
  private readonly pushes = new Map<string, PushState>()
  private readonly runs = new Coalescer<PushState>((state) => this.pushOnce(state))

  constructor(private readonly components: LibraryPushesComponents) {}

  /**
   * A peer just admitted has our library as its handshake announced it: pushes start from there.
   * One admitted again (a new connection) gets what it may have missed on the old one.
   */
  admitted(peerId: string): void {
    const rev = this.components.library.position().library_rev
    const known = this.pushes.get(peerId)
    if (known) {
      if (known.sentRev !== rev) this.push(known)
      return
    }
    const {redialMinMs, redialMaxMs} = this.components.settings
    this.pushes.set(peerId, {peerId, sentRev: rev, retry: new RetryTimer(redialMinMs, redialMaxMs)})
  }

  /** Forgets a peer (removed from the table): its retry timer goes with it. */
  forget(peerId: string): void {
    this.pushes.get(peerId)?.retry.cancel()
    this.pushes.delete(peerId)
  }

  /** After a local revision: one coalesced push to every admitted peer. */
  pushAll(): void {
    for (const state of this.pushes.values()) this.push(state)
  }

  private push(state: PushState): void {
    state.retry.cancel()
    this.runs.request(state)
  }

  /** Pushes what changed since the last push to this peer. */
  private async pushOnce(state: PushState): Promise<void> {
    const {library} = this.components
    const position = library.position()
    if (position.library_rev === state.sentRev) return
    // No connection this moment (one being replaced, say): the peer is still known, so later.
    const connection = this.components.connectionOf(state.peerId)
    if (!connection) return this.retryLater(state)
    const message: Message = deltaToPush(library, state.sentRev) ?? {type: 'LibrarySummary', ...position, game_count: library.games().length}
    try {
      await tell(connection, message, {timeoutMs: this.components.settings.requestTimeoutMs, peer: state.peerId})
    } catch (error) {
      this.components.log('warn', `could not send our library change to peer ${state.peerId}: ${errorMessage(error)}; trying again`)
      // A revision that came meanwhile pushes at once; otherwise later.
      if (!this.runs.hasPending(state)) this.retryLater(state)
      return
    }
    state.retry.succeeded()
    this.components.sent(state.peerId, message.type)
    state.sentRev = position.library_rev
  }

  private retryLater(state: PushState): void {
    state.retry.later(() => {
      if (this.pushes.get(state.peerId) === state) this.push(state)
    })
  }
}
