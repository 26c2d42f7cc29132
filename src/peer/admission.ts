// Who may talk to this peer: the handshake (our Hello and the peer's HelloAck when we dial, the
// peer's Hello and our HelloAck when it dials), its checks (not ourselves, a protocol we speak,
// the certificate pinned to that peer_id), and one connection per peer. What an admitted peer
// asks afterwards is routed by PeerSessions; this module only says who is admitted, on which
// connection.
import {LanspreadError} from '../errors.js'
import type {GameSummary} from '../library/summary.js'
import {HANDSHAKE_GAMES_MAX, MAX_HANDSHAKE_GAMES} from '../protocol/limits.js'
import {FEATURE_BULK_TLS, type Hello, type HelloAck, type Message, PROTOCOL_VERSION} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import type {LocalLibraryView} from '../sync/library-sync.js'
import {connectionToKeep, crossingWindowMs} from '../transport/choose-connection.js'
import type {DialOptions, Endpoint, PeerConnection} from '../transport/endpoint.js'
import type {PinStore} from '../transport/pins.js'
import {MAX_UNCONNECTED_LIBRARIES, type PeerAddress, type PeerTable} from './peer-table.js'
import type {RuntimeSettings} from './settings.js'

/** What serve reports when a peer's handshake is refused (a certificate that is not its pin). */
export interface PeerRefused {
  peer_id: string
  address: string
  reason: string
}

export interface AdmissionOptions {
  peerId: string
  hostname: string
  /** Extra features announced in Hello (e.g. bulk-tls) and the bulk port. */
  features?: string[]
  bulkPort?: number
  /** The largest library sent inside Hello / HelloAck (default HANDSHAKE_GAMES_MAX; 0: never). */
  handshakeGamesMax?: number
}

/** What the conversations with peers work on (PeerSessions takes the same). */
export interface SessionParts {
  endpoint: Endpoint
  table: PeerTable
  pins: PinStore
  library: LocalLibraryView
  settings: RuntimeSettings
  log: (level: 'info' | 'warn', message: string) => void
}

export interface AdmissionComponents extends SessionParts {
  /** Sends a request on a connection and returns the reply (the Hello we send). */
  exchange: (connection: PeerConnection, message: Message, label: string, timeoutMs: number) => Promise<Message>
  refused: (event: PeerRefused) => void
  /** A peer passed the checks and is in the table, on this connection. */
  admitted: (hello: Hello | HelloAck) => void
  /** The handshake is over (both ends admitted each other): the library it carried may be taken. */
  handshook: (hello: Hello | HelloAck) => void
}

export class Admission {
  private readonly connections = new Map<string, PeerConnection>()
  private readonly peers = new WeakMap<PeerConnection, string>()
  private readonly admittedAt = new WeakMap<PeerConnection, number>()
  /** Handshakes we started and have not finished: the peer may already send requests on them. */
  private readonly handshakes = new WeakMap<PeerConnection, Promise<unknown>>()

  constructor(
    private readonly options: AdmissionOptions,
    private readonly components: AdmissionComponents,
  ) {
    components.endpoint.on('connection', (connection) => this.expectHello(connection))
  }

  /** The admitted peer's open connection, if any. */
  connectionOf(peerId: string): PeerConnection | undefined {
    const connection = this.connections.get(peerId)
    return connection && !connection.isClosed() ? connection : undefined
  }

  /** The peer admitted on this connection, undefined before its handshake. */
  peerOf(connection: PeerConnection): string | undefined {
    return this.peers.get(connection)
  }

  /** Every admitted peer's connection (open or not yet noticed closed). */
  admittedConnections(): [string, PeerConnection][] {
    return [...this.connections]
  }

  /** Our own handshake on this connection, while it runs (a request on it waits for it). */
  handshakeOn(connection: PeerConnection): Promise<unknown> | undefined {
    return this.handshakes.get(connection)
  }

  /** Forgets a peer's connection and returns it (the peer was removed from the table). */
  forget(peerId: string): PeerConnection | undefined {
    const connection = this.connections.get(peerId)
    this.connections.delete(peerId)
    return connection
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

  /** A peer's Hello on a connection it dialled: admitted, it gets our HelloAck. */
  async answerHello(hello: Hello, connection: PeerConnection): Promise<Message> {
    if (!(await this.admit(connection, hello))) {
      throw new LanspreadError('invalid_input', `Hello from ${connection.remoteHost} refused`, {hint: 'see the log of the refusing peer'})
    }
    this.components.handshook(hello)
    return this.hello('HelloAck')
  }

  /** QUIC keep-alives hold a silent connection open for ever: one that never says Hello is closed. */
  private expectHello(connection: PeerConnection): void {
    const timer = setTimeout(() => {
      if (this.peers.has(connection) || connection.isClosed()) return
      this.components.log('info', `${connection.remoteHost}:${connection.remotePort} connected but never said Hello; closed it`)
      void connection.close()
    }, this.components.settings.requestTimeoutMs)
    timer.unref()
    void connection.closed.then(() => clearTimeout(timer))
  }

  private async shakeHands(connection: PeerConnection, label: string, timeoutMs: number): Promise<string | undefined> {
    let reply: Message
    try {
      reply = await this.components.exchange(connection, this.hello('Hello'), label, timeoutMs)
    } catch (error) {
      await connection.close()
      throw error
    }
    if (reply.type !== 'HelloAck') {
      await connection.close()
      throw protocolViolation(label, `answered Hello with ${reply.type}`)
    }
    if (!(await this.admit(connection, reply))) return undefined
    this.components.handshook(reply)
    return reply.peer_id
  }

  private hello<T extends 'Hello' | 'HelloAck'>(type: T): Hello | HelloAck {
    const position = this.components.library.position()
    const offer = this.components.endpoint.offer()
    const features = [...offer.transports, ...(this.options.features ?? [])]
    const games = this.handshakeGames()
    return {
      type,
      peer_id: this.options.peerId,
      proto_ver: PROTOCOL_VERSION,
      ...position,
      features,
      listen_port: this.components.endpoint.address().port,
      ...(features.includes(FEATURE_BULK_TLS) && this.options.bulkPort ? {bulk_port: this.options.bulkPort} : {}),
      ...(offer.portable_port === undefined ? {} : {portable_port: offer.portable_port}),
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
      this.components.refused({peer_id: hello.peer_id, address, reason})
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
    this.components.admitted(hello)
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
    this.peers.set(keep, peerId)
    void keep.closed.then(() => {
      if (this.connections.get(peerId) === keep) this.connections.delete(peerId)
      this.components.table.trimLibraries(MAX_UNCONNECTED_LIBRARIES, (id) => this.connectionOf(id) !== undefined)
    })
  }
}
