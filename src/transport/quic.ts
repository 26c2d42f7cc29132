// The QUIC endpoint: one UDP socket (tuned buffers) shared by the server that accepts peers
// and the clients that dial them, so nothing binds [::] by surprise and stop() closes it all.
// The socket's hooks into the library's internals live in quic-patches.ts, nowhere else.
import type Logger from '@matrixai/logger'
import {QUICClient, QUICServer, events as quicEvents, type QUICConnection, type QUICStream} from '@matrixai/quic'
import {LanspreadError, errorMessage} from '../errors.js'
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
import {QuicPeerConnection, describeQuicError} from './quic-connection.js'
import {TunedQuicSocket} from './quic-patches.js'
import {clientCrypto, quicConfig, quicLogger, serverCrypto} from './quic-settings.js'
import {DEFAULT_TRANSPORT_SETTINGS, type Certificate, checkTransportSettings, defaultTransportLog} from './transport-settings.js'
import {EndpointHub} from './endpoint-hub.js'
import {withTimeout} from './with-timeout.js'

export interface QuicEndpointInit {
  certificate: Certificate
  settings?: Partial<TransportSettings>
}

export interface QuicEndpointComponents {
  log?: TransportLog
}

/** Started once and stopped once; a stopped endpoint is not restarted (make a new one). */
export class QuicEndpoint implements Endpoint {
  readonly settings: TransportSettings
  private readonly log: TransportLog
  private readonly logger: Logger
  private socket: TunedQuicSocket | undefined
  private server: QUICServer | undefined
  private readonly hub: EndpointHub<QuicPeerConnection>
  private readonly wrappers = new WeakMap<QUICConnection, QuicPeerConnection>()
  private stopping = false
  /** The counters of the stopped socket, so traffic() still answers after stop(). */
  private lastTraffic: TrafficCounters = {bytes_in: 0, bytes_out: 0, datagrams_in: 0, datagrams_out: 0}
  /** Kernel buffer sizes actually granted (Linux caps them at net.core.rmem_max / wmem_max). */
  bufferSizes: {recv: number; send: number} | undefined

  constructor(
    private readonly init: QuicEndpointInit,
    components: QuicEndpointComponents = {},
  ) {
    this.settings = checkTransportSettings({...DEFAULT_TRANSPORT_SETTINGS, ...init.settings})
    this.log = components.log ?? defaultTransportLog()
    this.hub = new EndpointHub(this.log)
    this.logger = quicLogger(this.log)
  }

  async start({host, port}: ListenAddress): Promise<ListenAddress> {
    if (this.socket) throw new LanspreadError('internal', 'the QUIC endpoint is already started')
    const socket = new TunedQuicSocket({logger: this.logger.getChild('socket')})
    try {
      await socket.start({host, port})
    } catch (error) {
      throw new LanspreadError('address_unavailable', `could not listen on UDP ${hostPort(host, port)}: ${describeQuicError(error)}`, {
        hint: 'choose another --port (0 picks a free one) or stop the program that uses it',
        cause: error,
      })
    }
    this.socket = socket
    this.bufferSizes = socket.setBufferSizes(this.settings.udpBufferBytes)
    socket.countTraffic()
    socket.watchConnections(this.watchStreams)
    socket.serializeRecvLocks()
    const server = new QUICServer({
      socket,
      crypto: serverCrypto(),
      config: quicConfig(this.settings, this.init.certificate),
      // The handshake bound of accepted connections: the idle timeout, the longest a dialler may
      // wait (its patience grows after failed dials; a server that gave up first would waste
      // every slow handshake). The stateless retry has checked the address already.
      minIdleTimeout: this.settings.maxIdleTimeoutMs,
      logger: this.logger.getChild('server'),
    })
    server.addEventListener(quicEvents.EventQUICServerConnection.name, this.onServerConnection)
    try {
      await server.start()
    } catch (error) {
      await socket.stop({force: true}).catch(() => undefined)
      this.socket = undefined
      throw new LanspreadError('internal', `could not start the QUIC server: ${describeQuicError(error)}`, {cause: error})
    }
    this.server = server
    return this.address()
  }

  address(): ListenAddress {
    if (!this.socket) throw new LanspreadError('internal', 'the QUIC endpoint is not started')
    return {host: this.socket.host, port: this.socket.port}
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
    return {transports: ['quic']}
  }

  traffic(): TrafficCounters {
    const counters = this.socket?.traffic ?? this.lastTraffic
    return {...counters}
  }

  async dial(host: string, port: number, options: DialOptions = {}): Promise<PeerConnection> {
    const socket = this.socket
    if (!socket || this.stopping) throw new LanspreadError('internal', 'the QUIC endpoint is not running')
    // @matrixai/quic refuses a start timer longer than the idle timeout.
    const timeoutMs = Math.min(options.timeoutMs ?? this.settings.dialTimeoutMs, this.settings.maxIdleTimeoutMs)
    let client: QUICClient
    try {
      client = await QUICClient.createQUICClient(
        {
          host,
          port,
          socket,
          crypto: clientCrypto(),
          config: quicConfig(this.settings, this.init.certificate),
          logger: this.logger.getChild('client'),
        },
        {timer: timeoutMs, ...(options.signal ? {signal: options.signal} : {})},
      )
    } catch (error) {
      throw new LanspreadError('io', `could not connect to peer at ${hostPort(host, port)}: ${describeQuicError(error)}`, {
        hint: 'check that lanspread serve runs there and that UDP to that port is not blocked',
        cause: error,
      })
    }
    if (this.stopping) {
      await client.destroy({force: true}).catch(() => undefined)
      throw new LanspreadError('internal', 'the QUIC endpoint stopped while dialling')
    }
    try {
      return this.adopt(client.connection, () => client.destroy({isApp: true, force: true}))
    } catch (error) {
      await client.destroy({force: true}).catch(() => undefined)
      throw error
    }
  }

  /** Closes every connection and the socket; a peer that does not answer is not waited for past stopTimeoutMs. */
  async stop(): Promise<void> {
    if (!this.socket || this.stopping) return
    this.stopping = true
    const socket = this.socket
    const server = this.server
    const graceful = (async () => {
      await server?.stop({isApp: true, force: true})
      await Promise.allSettled([...this.hub.live].map((c) => c.close()))
    })()
    await withTimeout(graceful, this.settings.stopTimeoutMs, 'closing QUIC connections').catch((error: unknown) => {
      this.log('warn', `${errorMessage(error)}; closing the socket anyway`)
    })
    await socket.stop({force: true}).catch((error: unknown) => {
      this.log('warn', `could not close the QUIC socket: ${describeQuicError(error)}`)
    })
    server?.removeEventListener(quicEvents.EventQUICServerConnection.name, this.onServerConnection)
    this.hub.live.clear()
    this.lastTraffic = {...socket.traffic}
    this.socket = undefined
    this.server = undefined
  }

  private readonly onServerConnection = (event: Event): void => {
    const connection = (event as quicEvents.EventQUICServerConnection).detail
    let adopted: QuicPeerConnection
    try {
      adopted = this.adopt(connection, () => connection.stop({isApp: true, force: true}))
    } catch (error) {
      this.log('warn', `dropped an incoming connection from ${connection.remoteHost}:${connection.remotePort}: ${errorMessage(error)}`)
      void connection.stop({isApp: true, force: true}).catch(() => undefined)
      return
    }
    this.hub.announce(adopted)
  }

  /** Listens for the peer's streams from the connection's first packet on. */
  private readonly watchStreams = (connection: QUICConnection): void => {
    const onStream = (event: Event): void => {
      const stream = (event as quicEvents.EventQUICConnectionStream).detail
      this.acceptEarlyStream(connection, stream)
    }
    connection.addEventListener(quicEvents.EventQUICConnectionStream.name, onStream)
    void connection.closedP.then(() => connection.removeEventListener(quicEvents.EventQUICConnectionStream.name, onStream))
  }

  private acceptEarlyStream(connection: QUICConnection, stream: QUICStream): void {
    // Streams are only dispatched once the handshake (certificates included) is done, so the
    // connection can be wrapped here even when its server or client has not returned it yet.
    let wrapped: QuicPeerConnection
    try {
      wrapped = this.wrap(connection)
    } catch (error) {
      this.log('warn', `refused a stream from ${connection.remoteHost}:${connection.remotePort}: ${errorMessage(error)}`)
      stream.cancel(error)
      return
    }
    wrapped.acceptStream(stream)
  }

  /** The one wrapper of a connection, stopped with `stop` when closed from this side. */
  private adopt(connection: QUICConnection, stop: () => Promise<void>): QuicPeerConnection {
    const wrapped = this.wrap(connection)
    wrapped.setStop(stop)
    return wrapped
  }

  private wrap(connection: QUICConnection): QuicPeerConnection {
    const existing = this.wrappers.get(connection)
    if (existing) return existing
    const direction = connection.type === 'client' ? 'outbound' : 'inbound'
    const wrapped = new QuicPeerConnection(connection, direction, {
      log: this.log,
      streamHandler: this.hub.streamHandler,
      stop: () => connection.stop({isApp: true, force: true}),
    })
    this.wrappers.set(connection, wrapped)
    this.hub.keep(wrapped, connection.closedP)
    // Kept until quiche lets go (closedP), not only until it stops: stop() waits for stragglers.
    return wrapped
  }
}
