// The conversations with other peers over their connections: who is admitted (Admission: the
// handshake, pins, one connection per peer), routing what an admitted peer asks (this module),
// and keeping libraries in sync (LibrarySync: pulls, pushes, deltas). Requests other layers
// answer (GetGame, GetChunk) are handed to them by type.
import {EventEmitter} from 'node:events'
import {LanspreadError, errorMessage} from '../errors.js'
import {LARGE_REQUESTS, LARGE_REQUESTS_BEFORE_HELLO} from '../protocol/frame-limits.js'
import type {Message} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import type {LibraryPosition} from '../sync/library-sync.js'
import type {GameRequestHandler} from '../serving/game-request-handler.js'
import {isTimeoutError} from '../transport/with-timeout.js'
import type {ByteStream, DialOptions, PeerConnection} from '../transport/endpoint.js'
import type {FramedReply} from '../transport/framed-request.js'
import {Admission, type AdmissionOptions, type PeerRefused, type SessionParts} from './admission.js'
import {LibrarySync, type PeerLibraryChanged} from './library-sync/sync.js'
import {type ExchangeOptions, type RequestDispatcher, exchange, isProtocolViolation, serveStream, tell} from './messaging.js'
import type {PeerAddress} from './peer-table.js'

/** Requests another module serves (GetGame, GetChunk: the downloads layer), maybe with raw bytes. */
export type ExtraHandler = GameRequestHandler

/**
 * A request about a peer's conversation with us, answered with a message, nothing (a push) or a
 * reply that opens a feed, given the connection it came on (the swarm: GetChunkMap makes the
 * peer follow our Haves).
 */
export type PeerRequestHandler = (
  message: Message,
  peerId: string,
  connection: PeerConnection,
) => Promise<Message | FramedReply | undefined> | Message | FramedReply | undefined

export interface PeerSessionsEvents {
  peer_refused: [PeerRefused]
  peer_library_changed: [PeerLibraryChanged]
  frames: [{direction: 'in' | 'out'; type: Message['type']; peer_id: string | undefined}]
}

export type PeerSessionsComponents = SessionParts

export type PeerSessionsOptions = AdmissionOptions

/** Protocol violations after which a connection is dropped. */
const MAX_VIOLATIONS = 3

export class PeerSessions extends EventEmitter<PeerSessionsEvents> {
  /** Library sync with every admitted peer: where pulls start, deltas land and pushes go out. */
  readonly sync: LibrarySync
  private readonly admission: Admission
  private readonly violations = new WeakMap<PeerConnection, number>()
  private readonly extraHandlers = new Map<Message['type'], ExtraHandler>()
  private readonly peerHandlers = new Map<Message['type'], PeerRequestHandler>()
  private stopping = false

  constructor(
    private readonly options: PeerSessionsOptions,
    private readonly components: PeerSessionsComponents,
  ) {
    super()
    this.sync = new LibrarySync({
      table: components.table,
      library: components.library,
      settings: components.settings,
      log: components.log,
      connectionOf: (peerId) => (this.stopping ? undefined : this.connectionOf(peerId)),
      exchange: (connection, request, peerId) => this.exchange(connection, request, peerId),
      sent: (peerId, type) => this.emit('frames', {direction: 'out', type, peer_id: peerId}),
      changed: (event) => this.emit('peer_library_changed', event),
    })
    components.endpoint.onStream((stream, connection) => this.serve(stream, connection))
    this.admission = new Admission(options, {
      ...components,
      exchange: (connection, message, label, timeoutMs) => this.exchange(connection, message, label, timeoutMs),
      refused: (event) => this.emit('peer_refused', event),
      admitted: (hello) => this.sync.admitted(hello),
      handshook: (hello) => this.sync.handshook(hello),
    })
  }

  /** Lets another layer serve a request type (the downloads issue adds GetGame and GetChunk). */
  handle(type: Message['type'], handler: ExtraHandler): void {
    this.extraHandlers.set(type, handler)
  }

  /** Lets another module answer a request that needs the connection it came on (the swarm's GetChunkMap, Have). */
  handlePeer(type: Message['type'], handler: PeerRequestHandler): void {
    this.peerHandlers.set(type, handler)
  }

  connectionOf(peerId: string): PeerConnection | undefined {
    return this.admission.connectionOf(peerId)
  }

  /**
   * Dials an address and shakes hands; resolves the peer_id, or undefined when refused.
   * `timeoutMs` bounds the dial and the Hello each (default: the request timeout).
   */
  connect(address: PeerAddress, options: DialOptions = {}): Promise<string | undefined> {
    return this.admission.connect(address, options)
  }

  /** Discovery saw a connected peer announce a library position (mDNS TXT): LibrarySync decides. */
  announced(peerId: string, position: LibraryPosition): void {
    this.sync.announced(peerId, position)
  }

  /** Tells every peer we leave (bounded), so they drop us at once. */
  async goodbye(timeoutMs: number): Promise<void> {
    this.stopping = true
    const message: Message = {type: 'Goodbye', peer_id: this.options.peerId}
    await Promise.allSettled(this.admission.admittedConnections().map(([peerId, connection]) => tell(connection, message, {timeoutMs, peer: peerId})))
  }

  /** Forgets a peer's connection (the peer was removed from the table). */
  async drop(peerId: string): Promise<void> {
    const connection = this.admission.forget(peerId)
    this.sync.forget(peerId)
    await connection?.close()
  }

  /** Pings a quiet peer; any answer moves its last_seen. */
  async ping(peerId: string): Promise<void> {
    const connection = this.connectionOf(peerId)
    if (!connection) return
    const reply = await this.exchange(connection, {type: 'Ping'}, peerId)
    if (reply.type !== 'Pong') throw protocolViolation(peerId, `answered Ping with ${reply.type}`)
    this.components.table.touch(peerId)
  }

  private async serve(stream: ByteStream, connection: PeerConnection): Promise<void> {
    const peerId = this.admission.peerOf(connection)
    const label = peerId ?? `${connection.remoteHost}:${connection.remotePort}`
    try {
      // A stranger may send nothing large but its Hello; an admitted peer (or one we shake hands with) may push its library.
      const large = peerId === undefined && !this.admission.handshakeOn(connection) ? LARGE_REQUESTS_BEFORE_HELLO : LARGE_REQUESTS
      await serveStream(stream, connection, label, this.dispatch, this.components.settings.requestTimeoutMs, large)
    } catch (error) {
      // A stream the peer stalls on (never sends its request, never reads its chunk) counts like a
      // bad frame: QUIC keeps what was written to a reset stream until the connection closes,
      // so a peer that stalls stream after stream would otherwise grow our memory without bound.
      if (!isProtocolViolation(error) && !isTimeoutError(error)) {
        if (!(error instanceof LanspreadError)) this.components.log('warn', `serving ${label} failed: ${errorMessage(error)}`)
        return
      }
      const count = (this.violations.get(connection) ?? 0) + 1
      this.violations.set(connection, count)
      this.components.log('warn', `${errorMessage(error)}${count >= MAX_VIOLATIONS ? '; dropping that connection' : ''}`)
      if (count >= MAX_VIOLATIONS) await connection.close()
    }
  }

  /** Routes one request: the handshake to Admission, library sync to LibrarySync, downloads to their handlers. */
  private readonly dispatch: RequestDispatcher = async (message, connection) => {
    // The peer answered our Hello and already asks something: our side of the handshake may still be running.
    await this.admission.handshakeOn(connection)?.catch(() => undefined)
    const peerId = this.admission.peerOf(connection)
    this.emit('frames', {direction: 'in', type: message.type, peer_id: peerId})
    if (message.type === 'Hello') return this.admission.answerHello(message, connection)
    if (message.type === 'ListGames') return {type: 'GameList', games: this.components.library.games()}
    if (peerId === undefined) {
      throw new LanspreadError('invalid_input', `${message.type} from ${connection.remoteHost}:${connection.remotePort} before Hello`, {
        hint: 'a peer says Hello first',
      })
    }
    this.components.table.touch(peerId)
    switch (message.type) {
      case 'GetLibrary':
        return this.sync.answer(message)
      case 'LibraryDelta':
      case 'LibrarySummary':
        this.sync.received(peerId, message)
        return undefined
      case 'Ping':
        return {type: 'Pong'}
      case 'Goodbye':
        if (message.peer_id === peerId) this.components.table.remove(peerId, 'goodbye')
        return undefined
      default: {
        const conversation = this.peerHandlers.get(message.type)
        if (conversation) return conversation(message, peerId, connection)
        const extra = this.extraHandlers.get(message.type)
        if (extra) return extra(message, peerId, undefined, connection.remoteHost)
        if (message.type === 'GetGame' || message.type === 'GetChunk') {
          throw new LanspreadError('not_downloaded', `this peer does not serve game data yet (${message.type})`, {hint: 'downloads come with a later version'})
        }
        throw protocolViolation(peerId, `sent ${message.type}, which is not a request`)
      }
    }
  }

  private async exchange(connection: PeerConnection, message: Message, peer: string, timeoutMs = this.components.settings.requestTimeoutMs): Promise<Message> {
    const options: ExchangeOptions = {timeoutMs, peer}
    this.emit('frames', {direction: 'out', type: message.type, peer_id: this.admission.peerOf(connection)})
    return exchange(connection, message, options)
  }
}
