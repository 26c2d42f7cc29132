// Pulling other peers' libraries: one pull per peer at a time, a reason that comes while one
// runs coalesced into one more (Coalescer), and a failed pull tried again after a backoff while
// the connection lives (with static peers and no mDNS repeating announcements, nothing else
// would ever ask again). Only LibrarySync (./sync.ts) schedules a pull.
import {errorMessage} from '../../errors.js'
import type {Message} from '../../protocol/messages.js'
import {type LibraryPosition, pullLibrary} from '../../sync/library-sync.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import {Coalescer} from '../../util/coalesce.js'
import {RetryTimer} from '../backoff.js'
import type {PeerTable} from '../peer-table.js'
import type {RuntimeSettings} from '../settings.js'

export interface LibraryPullsComponents {
  table: PeerTable
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
  /** The connection to pull over, undefined when there is none (or the peer runtime stops). */
  connectionOf: (peerId: string) => PeerConnection | undefined
  exchange: (connection: PeerConnection, request: Message, peerId: string) => Promise<Message>
  /** The peer's library moved (a delta or a snapshot was applied). */
  changed: (peerId: string, outcome: 'delta' | 'snapshot') => void
}

/**
 * One peer's pulls. The state itself is the Coalescer's key: a peer forgotten while its pull
 * runs and admitted again gets a new state, whose pulls do not wait for the old one.
 */
interface PullState {
  peerId: string
  /** Where the pulls in progress bring the library; set when a pull starts, not while one runs. */
  target: LibraryPosition
  retry: RetryTimer
}

export class LibraryPulls {
  private readonly pulls = new Map<string, PullState>()
  private readonly runs = new Coalescer<PullState>((state) => this.pullOnce(state))

  constructor(private readonly components: LibraryPullsComponents) {}

  /** Pulls a peer's library up to `announced`, one pull per peer at a time. */
  schedule(peerId: string, announced: LibraryPosition): void {
    let state = this.pulls.get(peerId)
    if (!state) {
      const {redialMinMs, redialMaxMs} = this.components.settings
      state = {peerId, target: announced, retry: new RetryTimer(redialMinMs, redialMaxMs)}
      this.pulls.set(peerId, state)
    }
    state.retry.cancel()
    if (!this.runs.isRunning(state)) state.target = announced
    this.runs.request(state)
  }

  /** Forgets a peer (removed from the table): its retry timer goes with it. */
  forget(peerId: string): void {
    this.pulls.get(peerId)?.retry.cancel()
    this.pulls.delete(peerId)
  }

  private async pullOnce(state: PullState): Promise<void> {
    const {peerId} = state
    const record = this.components.table.get(peerId)
    const connection = this.components.connectionOf(peerId)
    if (!record || !connection) return
    try {
      const outcome = await pullLibrary(record.library, state.target, (request) => this.components.exchange(connection, request, peerId), peerId)
      state.retry.succeeded()
      if (outcome !== 'current') this.components.changed(peerId, outcome)
      // A later push or summary may have moved the target while we pulled.
      state.target = record.library.position ?? state.target
    } catch (error) {
      // A pull on a connection replaced meanwhile (a crossing dial) is no news: it is redone.
      const level = connection.isClosed() ? 'info' : 'warn'
      this.components.log(
        level,
        `could not sync the library of peer ${peerId}${level === 'info' ? ' on a connection closed meanwhile' : ''}: ${errorMessage(error)}; trying again`,
      )
      // A reason to pull that came meanwhile (the connection kept after a crossing dial, a
      // push) tries again at once; otherwise later.
      if (!this.runs.hasPending(state)) this.retryLater(state)
    }
  }

  private retryLater(state: PullState): void {
    const announced = state.target
    state.retry.later(() => {
      if (this.pulls.get(state.peerId) === state) this.schedule(state.peerId, announced)
    })
  }
}
