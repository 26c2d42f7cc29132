// Pushing our library to other peers after each local revision: one push per peer at a time,
// a revision that comes while one runs coalesced into one more, each sending what changed
// since the last push to that peer (a delta, or a LibrarySummary when the history no longer
// reaches back that far: the peer then pulls).
import {errorMessage} from '../errors.js'
import type {Message} from '../protocol/messages.js'
import {type LocalLibraryView, deltaToPush} from '../sync/library-sync.js'
import type {PeerConnection} from '../transport/endpoint.js'
import {tell} from './messaging.js'
import type {RuntimeSettings} from './settings.js'

export interface LibraryPushesComponents {
  library: LocalLibraryView
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
  /** The connection to push over, undefined when there is none (or the peer runtime stops). */
  connectionOf: (peerId: string) => PeerConnection | undefined
  /** A message went out to a peer (the runtime counts frames). */
  sent: (peerId: string, type: Message['type']) => void
}

interface PushState {
  sentRev: number
  running: boolean
  again: boolean
}

export class LibraryPushes {
  private readonly pushes = new Map<string, PushState>()

  constructor(private readonly components: LibraryPushesComponents) {}

  /** A peer just admitted has our library as its handshake announced it: pushes start from there. */
  admitted(peerId: string): void {
    if (!this.pushes.has(peerId)) this.pushes.set(peerId, {sentRev: this.components.library.position().library_rev, running: false, again: false})
  }

  /** Forgets a peer (removed from the table). */
  forget(peerId: string): void {
    this.pushes.delete(peerId)
  }

  /** After a local revision: one coalesced push to every admitted peer. */
  pushAll(): void {
    for (const peerId of this.pushes.keys()) void this.push(peerId)
  }

  /** Pushes what changed since the last push to this peer; pushes coalesce while one runs. */
  private async push(peerId: string): Promise<void> {
    const state = this.pushes.get(peerId)
    if (!state) return
    if (state.running) {
      state.again = true
      return
    }
    state.running = true
    try {
      do {
        state.again = false
        const connection = this.components.connectionOf(peerId)
        if (!connection) return
        const {library} = this.components
        const position = library.position()
        if (position.library_rev === state.sentRev) return
        const message: Message = deltaToPush(library, state.sentRev) ?? {type: 'LibrarySummary', ...position, game_count: library.games().length}
        await tell(connection, message, {timeoutMs: this.components.settings.requestTimeoutMs, peer: peerId})
        this.components.sent(peerId, message.type)
        state.sentRev = position.library_rev
      } while (state.again)
    } catch (error) {
      this.components.log('warn', `could not send our library change to peer ${peerId}: ${errorMessage(error)}`)
    } finally {
      state.running = false
    }
  }
}
