// Library sync inside the runtime (SPEC §4.3): the one place where a pull starts, where a peer's
// pushed delta lands, and where ours goes out. Every reason to pull (a handshake, a
// LibrarySummary, a delta that does not apply, an mDNS announcement) comes here and leaves
// through `pull`; the sync logic itself (what to ask, what to answer, how a delta applies) is
// transport-free in src/sync/. The delta's path is drawn in docs/architecture.md.
import type {LibraryDelta as LocalRevision} from '../../library/library-delta.js'
import type {GetLibrary, Hello, HelloAck, LibraryDeltaMessage, LibrarySnapshot, LibrarySummary, Message, MessageOf} from '../../protocol/messages.js'
import {type LibraryPosition, type LocalLibraryView, answerGetLibrary} from '../../sync/library-sync.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import type {PeerTable} from '../peer-table.js'
import type {RuntimeSettings} from '../settings.js'
import {LibraryPulls} from './pulls.js'
import {LibraryPushes} from './pushes.js'

/** What serve reports when a peer's library moved. */
export interface PeerLibraryChanged {
  peer_id: string
  outcome: 'delta' | 'snapshot'
  library_rev: number
  game_count: number
}

export interface LibrarySyncComponents {
  table: PeerTable
  /** Our library as the sync serves and pushes it (with its revision history). */
  library: LocalLibraryView
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
  /** The connection to a peer, undefined when there is none (or the peer runtime stops). */
  connectionOf: (peerId: string) => PeerConnection | undefined
  exchange: (connection: PeerConnection, request: Message, peerId: string) => Promise<Message>
  /** A message went out to a peer without a reply (a push). */
  sent: (peerId: string, type: Message['type']) => void
  /** A peer's library moved (a delta or a snapshot was applied). */
  changed: (event: PeerLibraryChanged) => void
}

export class LibrarySync {
  private readonly pulls: LibraryPulls
  private readonly pushes: LibraryPushes

  constructor(private readonly components: LibrarySyncComponents) {
    this.pulls = new LibraryPulls({
      table: components.table,
      settings: components.settings,
      log: components.log,
      connectionOf: components.connectionOf,
      exchange: components.exchange,
      changed: (peerId, outcome) => this.announceLibrary(peerId, outcome),
    })
    this.pushes = new LibraryPushes({
      library: components.library,
      settings: components.settings,
      log: components.log,
      connectionOf: components.connectionOf,
      sent: components.sent,
    })
  }

  /** A peer was admitted (its Hello or HelloAck checked): pushes to it start from the position its handshake saw. */
  admitted(hello: Hello | HelloAck): void {
    this.pushes.admitted(hello.peer_id)
  }

  /** After the handshake: the library it carried is taken, then a pull brings what is missing. */
  handshook(hello: Hello | HelloAck): void {
    this.takeHandshakeLibrary(hello)
    this.pull(hello.peer_id, hello)
  }

  /** A peer asks for our library. */
  answer(request: GetLibrary): LibrarySnapshot | LibraryDeltaMessage | MessageOf<'NotModified'> {
    return answerGetLibrary(this.components.library, request)
  }

  /** A peer pushed its library's change: a delta, or a summary when its history did not reach back. */
  received(peerId: string, message: LibraryDeltaMessage | LibrarySummary): void {
    if (message.type === 'LibrarySummary') return this.pull(peerId, message)
    this.receiveDelta(peerId, message)
  }

  /**
   * Discovery saw a connected peer announce a library position (mDNS TXT): pull if we do not
   * hold it yet. Discovery repeats its reports every second, so "nothing to do" must cost nothing.
   */
  announced(peerId: string, position: LibraryPosition): void {
    if (this.components.table.get(peerId)?.library.isCurrent(position.library_epoch, position.library_digest)) return
    this.pull(peerId, position)
  }

  /** Our library moved: recorded in the history deltas are served from, pushed to every admitted peer. */
  published(revision: LocalRevision): void {
    this.components.library.history.record(revision)
    this.pushes.pushAll()
  }

  /** Forgets a peer (removed from the table): its pulls' retry and its push state. */
  forget(peerId: string): void {
    this.pushes.forget(peerId)
    this.pulls.forget(peerId)
  }

  /** The one place a pull starts. */
  private pull(peerId: string, position: LibraryPosition): void {
    this.pulls.schedule(peerId, position)
  }

  private receiveDelta(peerId: string, delta: LibraryDeltaMessage): void {
    const record = this.components.table.get(peerId)
    if (!record) return
    const outcome = record.library.applyDelta(delta)
    if (outcome === 'applied') {
      this.announceLibrary(peerId, 'delta')
      return
    }
    if (outcome === 'stale') return
    // A gap, a new epoch or a digest that does not match: ask for what we are missing.
    this.pull(peerId, {library_epoch: delta.library_epoch, library_rev: delta.to_rev, library_digest: delta.library_digest})
  }

  /**
   * A small library comes inside the handshake: taken as a snapshot when it matches the
   * announced digest, it saves the GetLibrary round trip (a third of the packets of a first
   * contact). One that does not match is ignored, and the pull scheduled next asks for it;
   * one older than what we hold (a Hello overtaken by a delta) is ignored by applySnapshot.
   */
  private takeHandshakeLibrary(hello: Hello | HelloAck): void {
    if (!hello.games) return
    const library = this.components.table.get(hello.peer_id)?.library
    if (!library || library.isCurrent(hello.library_epoch, hello.library_digest)) return
    const {library_epoch, library_rev, library_digest, games} = hello
    if (library.applySnapshot({library_epoch, library_rev, library_digest, games}) === 'applied') this.announceLibrary(hello.peer_id, 'snapshot')
  }

  private announceLibrary(peerId: string, outcome: 'delta' | 'snapshot'): void {
    const record = this.components.table.get(peerId)
    if (!record) return
    this.components.table.libraryChanged(peerId)
    this.components.changed({peer_id: peerId, outcome, library_rev: record.library.position?.library_rev ?? 0, game_count: record.library.gameCount})
  }
}
