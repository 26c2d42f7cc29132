// The conversations with other peers over their connections: the handshake (Hello/HelloAck,
// certificate pin, one connection per pair), serving their requests, pulling their library
// when it moved (LibraryPulls), and pushing ours after each local revision (LibraryPushes).
import {EventEmitter} from 'node:events'
import {LanspreadError, errorMessage} from '../errors.js'
import type {GameSummary} from '../library/summary.js'
import {LARGE_REQUESTS, LARGE_REQUESTS_BEFORE_HELLO} from '../protocol/frame-limits.js'
import {HANDSHAKE_GAMES_MAX, MAX_HANDSHAKE_GAMES} from '../protocol/limits.js'
import {FEATURE_BULK_TLS, type Hello, type HelloAck, type Message, PROTOCOL_VERSION} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import {type LibraryPosition, type LocalLibraryView, answerGetLibrary} from '../sync/library-sync.js'
import type {GameRequestHandler} from '../serving/game-request-handler.js'
import {connectionToKeep, crossingWindowMs} from '../transport/choose-connection.js'
import {isTimeoutError} from '../transport/with-timeout.js'
import type {ByteStream, DialOptions, Endpoint, PeerConnection} from '../transport/endpoint.js'
import type {PinStore} from '../transport/pins.js'
import {LibraryPulls} from './library-pulls.js'
import {LibraryPushes} from './library-pushes.js'
import {type ExchangeOptions, type RequestDispatcher, exchange, isProtocolViolation, serveStream, tell} from './messaging.js'
import {MAX_UNCONNECTED_LIBRARIES, type PeerAddress, type PeerTable} from './peer-table.js'
import type {RuntimeSettings} from './settings.js'

/** Requests another module serves (GetGame, GetChunk: the downloads layer), maybe with raw bytes. */
export type ExtraHandler = GameRequestHandler

export interface PeerSessionsEvents {
  peer_refused: [{peer_id: string; address: string; reason: string}]
  peer_library_changed: [{peer_id: string; outcome: 'delta' | 'snapshot'; library_rev: number; game_count: number}]
  frames: [{direction: 'in' | 'out'; type: Message['type']; peer_id: string | undefined}]
}

export interface PeerSessionsComponents {
  endpoint: Endpoint
  table: PeerTable
  pins: PinStore
  library: LocalLibraryView
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
}

export interface PeerSessionsOptions {
  peerId: string
  hostname: string
  /** Extra features announced in Hello (e.g. bulk-tls) and the bulk port. */
  features?: string[]
  bulkPort?: number
  /** The largest library sent inside Hello / HelloAck (default HANDSHAKE_GAMES_MAX; 0: never). */
  handshakeGamesMax?: number
}

/** Protocol violations after which a connection is dropped. */
const MAX_VIOLATIONS = 3

export class PeerSessions extends EventEmitter<PeerSessionsEvents> {
  private readonly connections = new Map<string, PeerConnection>()
  private readonly peerOf = new WeakMap<PeerConnection, string>()
  private readonly violations = new WeakMap<PeerConnection, number>()
  private readonly admittedAt = new WeakMap<PeerConnection, number>()
  /** Handshakes we started and have not finished: the peer may already send requests on them. */
  private readonly handshakes = new WeakMap<PeerConnection, Promise<unknown>>()
  private readonly pulls: LibraryPulls
  private readonly pushes: LibraryPushes
  private readonly extraHandlers = new Map<Message['type'], ExtraHandler>()
  private stopping = false

  constructor(
    private readonly options: PeerSessionsOptions,
    private readonly components: PeerSessionsComponents,
  ) {
    super()
    this.pulls = new LibraryPulls({
      table: components.table,
      settings: components.settings,
      log: components.log,
      connectionOf: (peerId) => (this.stopping ? undefined : this.connectionOf(peerId)),
      exchange: (connection, request, peerId) => this.exchange(connection, request, peerId),
      changed: (peerId, outcome) => this.announceLibrary(peerId, outcome),
    })
    this.pushes = new LibraryPushes({
      library: components.library,
      settings: components.settings,
      log: components.log,
      connectionOf: (peerId) => (this.stopping ? undefined : this.connectionOf(peerId)),
      sent: (peerId, type) => this.emit('frames', {direction: 'out', type, peer_id: peerId}),
    })
    components.endpoint.onStream((stream, connection) => this.serve(stream, connection))
    components.endpoint.on('connection', (connection) => this.expectHello(connection))
  }

  /** QUIC keep-alives hold a silent connection open for ever: one that never says Hello is closed. */
  private expectHello(connection: PeerConnection): void {
    const timer = setTimeout(() => {
      if (this.peerOf.has(connection) || connection.isClosed()) return
      this.components.log('info', `${connection.remoteHost}:${connection.remotePort} connected but never said Hello; closed it`)
      void connection.close()
    }, this.components.settings.requestTimeoutMs)
    timer.unref()
    void connection.closed.then(() => clearTimeout(timer))
  }

  /** Lets another layer serve a request type (the downloads issue adds GetGame and GetChunk). */
  handle(type: Message['type'], handler: ExtraHandler): void {
    this.extraHandlers.set(type, handler)
  }

  connectionOf(peerId: string): PeerConnection | undefined {
    const connection = this.connections.get(peerId)
    return connection && !connection.isClosed() ? connection : undefined
  }

  /**
   * Dials an address and shakes hands; resolves the peer_id, or undefined when refused.
   * `timeoutMs` bounds the dial and the Hello each (default: the request timeout).
   */
  async connect(address: PeerAddress, options: DialOptions = {}): Promise<string | undefined> {
    const timeoutMs = options.timeoutMs ?? this.components.settings.requestTimeoutMs
    const connection = await this.components.endpoint.dial(address.host, address.port, {...options, timeoutMs})
    const handshake = this.shakeHands(connection, `${address.host}:${address.port}`, timeoutMs)
    this.handshakes.set(connection, handshake)
    // Given up (serve stopping): closing the connection ends the Hello exchange at once.
    const giveUp = (): void => void connection.close()
    options.signal?.addEventListener('abort', giveUp, {once: true})
    try {
      return await handshake
    } finally {
      options.signal?.removeEventListener('abort', giveUp)
      this.handshakes.delete(connection)
    }
  }

  private async shakeHands(connection: PeerConnection, label: string, timeoutMs: number): Promise<string | undefined> {
    let reply: Message
    try {
      reply = await this.exchange(connection, this.hello('Hello'), label, timeoutMs)
    } catch (error) {
      await connection.close()
      throw error
    }
    if (reply.type !== 'HelloAck') {
      await connection.close()
      throw protocolViolation(label, `answered Hello with ${reply.type}`)
    }
    if (!(await this.admit(connection, reply))) return undefined
    this.takeHandshakeLibrary(reply)
    this.pulls.schedule(reply.peer_id, reply)
    return reply.peer_id
  }

  /**
   * Discovery saw a connected peer announce a library position (mDNS TXT): pull if we do not
   * hold it yet. Discovery repeats its reports every second, so "nothing to do" must cost nothing.
   */
  announced(peerId: string, position: LibraryPosition): void {
    if (this.components.table.get(peerId)?.library.isCurrent(position.library_epoch, position.library_digest)) return
    this.pulls.schedule(peerId, position)
  }

  /** After a local revision: one coalesced push to every connected peer. */
  pushAll(): void {
    this.pushes.pushAll()
  }

  /** Tells every peer we leave (bounded), so they drop us at once. */
  async goodbye(timeoutMs: number): Promise<void> {
    this.stopping = true
    const message: Message = {type: 'Goodbye', peer_id: this.options.peerId}
    await Promise.allSettled([...this.connections].map(([peerId, connection]) => tell(connection, message, {timeoutMs, peer: peerId})))
  }

  /** Forgets a peer's connection (the peer was removed from the table). */
  async drop(peerId: string): Promise<void> {
    const connection = this.connections.get(peerId)
    this.connections.delete(peerId)
    this.pushes.forget(peerId)
    this.pulls.forget(peerId)
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

  private hello<T extends 'Hello' | 'HelloAck'>(type: T): Hello | HelloAck {
    const position = this.components.library.position()
    const features = this.options.features ?? []
    const games = this.handshakeGames()
    return {
      type,
      peer_id: this.options.peerId,
      proto_ver: PROTOCOL_VERSION,
      ...position,
      features,
      listen_port: this.components.endpoint.address().port,
      ...(features.includes(FEATURE_BULK_TLS) && this.options.bulkPort ? {bulk_port: this.options.bulkPort} : {}),
      hostname: this.options.hostname,
      ...(games ? {games} : {}),
    } as Hello | HelloAck
  }

  /** Our games, to send inside a handshake when the library is that small (HANDSHAKE_GAMES_MAX). */
  private handshakeGames(): GameSummary[] | undefined {
    const max = Math.min(this.options.handshakeGamesMax ?? HANDSHAKE_GAMES_MAX, MAX_HANDSHAKE_GAMES)
    if (max === 0) return undefined
    const games = this.components.library.games()
    return games.length <= max ? games : undefined
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

  /**
   * Checks a handshake: not ourselves, a protocol we speak, the certificate pinned to that
   * peer_id (trust on first use); keeps one connection per peer and records the peer.
   */
  private async admit(connection: PeerConnection, hello: Hello | HelloAck): Promise<boolean> {
    const address = `${connection.remoteHost}:${hello.listen_port}`
    if (hello.peer_id === this.options.peerId) {
      this.components.log('warn', `${address} is this peer itself; not connecting to it`)
      await connection.close()
      return false
    }
    if (hello.proto_ver !== PROTOCOL_VERSION) {
      this.components.log('warn', `peer ${hello.peer_id} at ${address} speaks protocol ${hello.proto_ver}, this peer ${PROTOCOL_VERSION}; ignoring it`)
      await connection.close()
      return false
    }
    const fingerprint = connection.remoteCertificateFingerprint()
    if ((await this.components.pins.admit(hello.peer_id, fingerprint)) === 'mismatch') {
      const reason = `claims peer_id ${hello.peer_id} with another certificate than the one pinned for it`
      this.components.log('warn', `refused ${address}: ${reason} (if that peer was really reinstalled: lanspread peers --forget ${hello.peer_id})`)
      this.emit('peer_refused', {peer_id: hello.peer_id, address, reason})
      await connection.close()
      return false
    }
    this.keepOneConnection(hello.peer_id, connection)
    this.components.table.introduce({
      peer_id: hello.peer_id,
      hostname: hello.hostname ?? null,
      address: {host: connection.remoteHost, port: hello.listen_port},
      proto_ver: hello.proto_ver,
      features: hello.features,
      bulk_port: hello.features.includes(FEATURE_BULK_TLS) ? (hello.bulk_port ?? null) : null,
      cert_fingerprint: fingerprint,
    })
    this.pushes.admitted(hello.peer_id)
    return true
  }

  /**
   * One connection per peer. Two connections dialled from opposite ends within a moment of
   * each other are a simultaneous dial: both ends keep the same one (chooseConnection).
   * Otherwise the new handshake means the peer restarted or lost the old connection (a
   * crashed peer never closed it): the new connection replaces it, on both ends alike.
   */
  private keepOneConnection(peerId: string, connection: PeerConnection): void {
    const existing = this.connectionOf(peerId)
    let keep = connection
    if (existing && existing !== connection) {
      const age = Date.now() - (this.admittedAt.get(existing) ?? 0)
      keep = connectionToKeep(
        this.options.peerId,
        peerId,
        {existing, incoming: connection, existingAgeMs: age},
        crossingWindowMs(this.components.settings.requestTimeoutMs),
      )
      void (keep === existing ? connection : existing).close()
    }
    if (!this.admittedAt.has(keep)) this.admittedAt.set(keep, Date.now())
    this.connections.set(peerId, keep)
    this.peerOf.set(keep, peerId)
    void keep.closed.then(() => {
      if (this.connections.get(peerId) === keep) this.connections.delete(peerId)
      this.components.table.trimLibraries(MAX_UNCONNECTED_LIBRARIES, (id) => this.connectionOf(id) !== undefined)
    })
  }

  private async serve(stream: ByteStream, connection: PeerConnection): Promise<void> {
    const peerId = this.peerOf.get(connection)
    const label = peerId ?? `${connection.remoteHost}:${connection.remotePort}`
    try {
      // A stranger may send nothing large but its Hello; an admitted peer (or one we shake hands with) may push its library.
      const large = peerId === undefined && !this.handshakes.has(connection) ? LARGE_REQUESTS_BEFORE_HELLO : LARGE_REQUESTS
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

  private readonly dispatch: RequestDispatcher = async (message, connection) => {
    // The peer answered our Hello and already asks something: our side of the handshake may still be running.
    await this.handshakes.get(connection)?.catch(() => undefined)
    const peerId = this.peerOf.get(connection)
    this.emit('frames', {direction: 'in', type: message.type, peer_id: peerId})
    if (message.type === 'Hello') return this.answerHello(message, connection)
    if (message.type === 'ListGames') return {type: 'GameList', games: this.components.library.games()}
    if (peerId === undefined) {
      throw new LanspreadError('invalid_input', `${message.type} from ${connection.remoteHost}:${connection.remotePort} before Hello`, {
        hint: 'a peer says Hello first',
      })
    }
    this.components.table.touch(peerId)
    switch (message.type) {
      case 'GetLibrary':
        return answerGetLibrary(this.components.library, message)
      case 'LibraryDelta':
        this.receiveDelta(peerId, message)
        return undefined
      case 'LibrarySummary':
        this.pulls.schedule(peerId, message)
        return undefined
      case 'Ping':
        return {type: 'Pong'}
      case 'Goodbye':
        if (message.peer_id === peerId) this.components.table.remove(peerId, 'goodbye')
        return undefined
      default: {
        const extra = this.extraHandlers.get(message.type)
        if (extra) return extra(message, peerId, undefined, connection.remoteHost)
        if (message.type === 'GetGame' || message.type === 'GetChunk') {
          throw new LanspreadError('not_downloaded', `this peer does not serve game data yet (${message.type})`, {hint: 'downloads come with a later version'})
        }
        throw protocolViolation(peerId, `sent ${message.type}, which is not a request`)
      }
    }
  }

  private async answerHello(hello: Hello, connection: PeerConnection): Promise<Message> {
    if (!(await this.admit(connection, hello))) {
      throw new LanspreadError('invalid_input', `Hello from ${connection.remoteHost} refused`, {hint: 'see the log of the refusing peer'})
    }
    this.takeHandshakeLibrary(hello)
    this.pulls.schedule(hello.peer_id, hello)
    return this.hello('HelloAck')
  }

  private receiveDelta(peerId: string, delta: Extract<Message, {type: 'LibraryDelta'}>): void {
    const record = this.components.table.get(peerId)
    if (!record) return
    const outcome = record.library.applyDelta(delta)
    if (outcome === 'applied') {
      this.announceLibrary(peerId, 'delta')
      return
    }
    if (outcome === 'stale') return
    // A gap, a new epoch or a digest that does not match: ask for what we are missing.
    this.pulls.schedule(peerId, {library_epoch: delta.library_epoch, library_rev: delta.to_rev, library_digest: delta.library_digest})
  }

  private announceLibrary(peerId: string, outcome: 'delta' | 'snapshot'): void {
    const record = this.components.table.get(peerId)
    if (!record) return
    this.components.table.libraryChanged(peerId)
    this.emit('peer_library_changed', {peer_id: peerId, outcome, library_rev: record.library.position?.library_rev ?? 0, game_count: record.library.gameCount})
  }

  private async exchange(connection: PeerConnection, message: Message, peer: string, timeoutMs = this.components.settings.requestTimeoutMs): Promise<Message> {
    const options: ExchangeOptions = {timeoutMs, peer}
    this.emit('frames', {direction: 'out', type: message.type, peer_id: this.peerOf.get(connection)})
    return exchange(connection, message, options)
  }
}
