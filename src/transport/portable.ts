// The portable peer transport: HTTP/2 over mutual TLS on TCP (node:http2, no native code), with
// the contract of the QUIC endpoint (endpoint.ts): one request per stream, the same certificate
// (pinned later by Admission), the same framing above. It runs where @matrixai/quic does not load.
import http2, {type ClientHttp2Session, type Http2Session, type SecureServerOptions} from 'node:http2'
import type {Socket} from 'node:net'
import tls, {type TLSSocket} from 'node:tls'
import {LanspreadError, errnoCode, errorMessage} from '../errors.js'
import {hostPort} from '../words/address.js'
import type {
  DialOptions,
  Endpoint,
  ListenAddress,
  PeerConnection,
  StreamHandler,
  TrafficCounters,
  TransportLog,
  TransportOffer,
  TransportSettings,
} from './endpoint.js'
import {HandshakeGate} from './handshake-gate.js'
import {PortablePeerConnection} from './portable-connection.js'
import {DEFAULT_PORTABLE_LIMITS, type PortableLimits, portableSessionSettings, widenConnectionWindow} from './portable-settings.js'
import {DEFAULT_TRANSPORT_SETTINGS, type Certificate, checkTransportSettings, defaultTransportLog} from './transport-settings.js'
import {EndpointHub} from './endpoint-hub.js'
import {withTimeout} from './with-timeout.js'

export interface PortableEndpointInit {
  certificate: Certificate
  settings?: Partial<TransportSettings>
  limits?: Partial<PortableLimits>
}

export interface PortableEndpointComponents {
  log?: TransportLog
}

/** Started once and stopped once, like the QUIC endpoint. */
export class PortableEndpoint implements Endpoint {
  readonly settings: TransportSettings
  readonly limits: PortableLimits
  private readonly log: TransportLog
  private readonly server: http2.Http2SecureServer
  private readonly gate: HandshakeGate
  private readonly hub: EndpointHub<PortablePeerConnection>
  private readonly sockets = new Set<Socket>()
  private bound: ListenAddress | undefined
  private stopping = false
  /** Bytes of the TCP connections already closed, so traffic() counts them too. */
  private readonly done = {bytes_in: 0, bytes_out: 0}

  constructor(
    private readonly init: PortableEndpointInit,
    components: PortableEndpointComponents = {},
  ) {
    this.settings = checkTransportSettings({...DEFAULT_TRANSPORT_SETTINGS, ...init.settings})
    this.limits = {...DEFAULT_PORTABLE_LIMITS, ...init.limits}
    this.log = components.log ?? defaultTransportLog()
    this.hub = new EndpointHub(this.log)
    this.gate = new HandshakeGate({maxPerAddress: this.limits.maxConnectionsPerAddress, handshakeTimeoutMs: this.settings.dialTimeoutMs})
    const options: SecureServerOptions = {
      cert: init.certificate.certPem,
      key: init.certificate.keyPem,
      // Every peer shows its own self-signed certificate; Admission pins it to a peer_id after Hello.
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: this.settings.dialTimeoutMs,
      settings: portableSessionSettings(this.limits),
      maxSessionMemory: this.limits.maxSessionMemoryMb,
      unknownProtocolTimeout: this.settings.dialTimeoutMs,
    }
    this.server = http2.createSecureServer(options)
    this.server.maxConnections = this.limits.maxConnections
    this.server.on('connection', (socket: Socket) => this.track(socket))
    this.server.on('session', (session: Http2Session) => this.onSession(session))
    this.server.on('tlsClientError', (error, socket) => {
      this.log('warn', `portable TLS handshake from ${socket.remoteAddress} failed: ${errorMessage(error)}`)
      socket.destroy()
    })
  }

  async start({host, port}: ListenAddress): Promise<ListenAddress> {
    if (this.bound) throw new LanspreadError('internal', 'the portable endpoint is already started')
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        const code = errnoCode(error) === 'EADDRINUSE' || errnoCode(error) === 'EADDRNOTAVAIL' ? 'address_unavailable' : 'io'
        reject(
          new LanspreadError(code, `could not listen on TCP ${hostPort(host, port)} for the portable transport: ${errorMessage(error)}`, {
            hint: 'choose another --port (the portable transport takes TCP --port + 1) or stop the program that uses it',
            cause: error,
          }),
        )
      }
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
    this.server.on('error', (error) => this.log('warn', `portable transport server: ${errorMessage(error)}`))
    const address = this.server.address()
    if (address === null || typeof address === 'string') throw new LanspreadError('internal', 'the portable transport server listens on no TCP address')
    this.bound = {host: address.address, port: address.port}
    return this.bound
  }

  address(): ListenAddress {
    if (!this.bound) throw new LanspreadError('internal', 'the portable endpoint is not started')
    return {...this.bound}
  }

  on(_event: 'connection', listener: (connection: PeerConnection) => void): () => void {
    return this.hub.on(listener)
  }

  onStream(handler: StreamHandler): void {
    this.hub.onStream(handler)
  }

  connections(): PeerConnection[] {
    return [...this.hub.live]
  }

  offer(): TransportOffer {
    return {transports: ['portable'], ...(this.bound ? {portable_port: this.bound.port} : {})}
  }

  /** TCP bytes of the portable connections (TLS records included); no datagrams on TCP. */
  traffic(): TrafficCounters {
    let {bytes_in, bytes_out} = this.done
    for (const socket of this.sockets) {
      bytes_in += socket.bytesRead
      bytes_out += socket.bytesWritten
    }
    return {bytes_in, bytes_out, datagrams_in: 0, datagrams_out: 0}
  }

  async dial(host: string, port: number, options: DialOptions = {}): Promise<PeerConnection> {
    if (!this.bound || this.stopping) throw new LanspreadError('internal', 'the portable endpoint is not running')
    const timeoutMs = options.timeoutMs ?? this.settings.dialTimeoutMs
    const socket = tls.connect({
      host,
      port,
      cert: this.init.certificate.certPem,
      key: this.init.certificate.keyPem,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    })
    socket.on('error', () => undefined)
    this.count(socket)
    const abort = (): void => void socket.destroy(new Error('dial given up'))
    options.signal?.addEventListener('abort', abort, {once: true})
    try {
      await withTimeout(secureConnected(socket), timeoutMs, `connecting to peer at ${hostPort(host, port)}`, () => socket.destroy())
    } catch (error) {
      socket.destroy()
      throw new LanspreadError('io', `could not connect to peer at ${hostPort(host, port)} over the portable transport: ${errorMessage(error)}`, {
        hint: 'check that lanspread serve runs there and that TCP to its --port + 1 is not blocked',
        cause: error,
      })
    } finally {
      options.signal?.removeEventListener('abort', abort)
    }
    if (this.stopping) {
      socket.destroy()
      throw new LanspreadError('internal', 'the portable endpoint stopped while dialling')
    }
    const session: ClientHttp2Session = http2.connect(`https://${hostPort(host, port)}`, {
      createConnection: () => socket,
      settings: portableSessionSettings(this.limits),
      maxSessionMemory: this.limits.maxSessionMemoryMb,
    })
    try {
      return this.adopt(session, socket, 'outbound')
    } catch (error) {
      session.destroy()
      throw error
    }
  }

  /** Closes every connection (streams in flight get the stop timeout) and the listener; never hangs. */
  async stop(): Promise<void> {
    if (!this.bound || this.stopping) return
    this.stopping = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    await withTimeout(Promise.allSettled([...this.hub.live].map((c) => c.close())), this.settings.stopTimeoutMs, 'closing portable connections').catch(
      (error: unknown) => this.log('warn', `${errorMessage(error)}; closing them anyway`),
    )
    for (const connection of this.hub.live) connection.destroy()
    for (const socket of this.sockets) socket.destroy()
    await closed
    this.hub.live.clear()
  }

  private track(socket: Socket): void {
    socket.on('error', () => undefined)
    // One address cannot use up the budget; a handshake that stalls is closed at its deadline.
    if (this.stopping || !this.gate.admit(socket)) {
      socket.destroy()
      return
    }
    this.count(socket)
  }

  private count(socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => {
      this.sockets.delete(socket)
      this.done.bytes_in += socket.bytesRead
      this.done.bytes_out += socket.bytesWritten
    })
  }

  private onSession(session: Http2Session): void {
    const socket = session.socket
    // A secure server's sessions always run over TLS; anything else is dropped, not trusted.
    if (!(socket instanceof tls.TLSSocket)) return void session.destroy()
    this.gate.authenticated(socket)
    let adopted: PortablePeerConnection
    try {
      adopted = this.adopt(session, socket, 'inbound')
    } catch (error) {
      this.log('warn', `dropped an incoming portable connection from ${socket.remoteAddress}: ${errorMessage(error)}`)
      session.destroy()
      return
    }
    this.hub.announce(adopted)
  }

  private adopt(session: Http2Session, socket: TLSSocket, direction: 'inbound' | 'outbound'): PortablePeerConnection {
    const connection = new PortablePeerConnection(session, socket, direction, {
      log: this.log,
      streamHandler: this.hub.streamHandler,
      settings: portableSessionSettings(this.limits),
      maxIdleTimeoutMs: this.settings.maxIdleTimeoutMs,
      keepAliveIntervalMs: this.settings.keepAliveIntervalMs,
      closeTimeoutMs: this.settings.stopTimeoutMs,
    })
    // The connection window (all streams together): a chunk of every stream in flight fits.
    widenConnectionWindow(session, this.limits.connectionWindowBytes)
    this.hub.keep(connection, connection.closed)
    return connection
  }
}

function secureConnected(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') reject(new Error(`the peer does not speak HTTP/2 (ALPN ${String(socket.alpnProtocol)})`))
      else resolve()
    })
    socket.once('close', () => reject(new Error('the connection closed during the TLS handshake')))
    socket.once('error', reject)
  })
}
