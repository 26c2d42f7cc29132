// The transport's public shape: an endpoint that listens and dials, connections that carry
// one request per bidirectional stream. Two implement it, QUIC (quic.ts) and the portable
// HTTP/2-over-TLS one (portable.ts), and transport-set.ts puts them together per peer: the
// runtime sees only these types, never @matrixai/quic or node:http2 (record 0033).
import type {ReadableStream, WritableStream} from 'node:stream/web'
import type {ListenAddress} from '../words/address.js'
import type {PeerTransports, TransportName} from '../words/transports.js'

/** One bidirectional stream: raw bytes both ways (the protocol layer frames them). */
export interface ByteStream {
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
  /** Resets both directions at once; safe to call more than once, also after the stream ended. */
  cancel(reason?: unknown): void
}

/** Serves one incoming stream; the endpoint catches whatever it throws and resets the stream. */
export type StreamHandler = (stream: ByteStream, connection: PeerConnection) => Promise<void>

export interface RequestOptions {
  /** Hard bound for the whole exchange: the stream is reset when it passes. */
  timeoutMs: number
  /** What the request is, for messages ("Hello", "GetChunk game/file"). */
  what: string
}

export type ConnectionDirection = 'inbound' | 'outbound'

export type {PeerTransports, TransportName} from '../words/transports.js'

/** What an endpoint serves, for Hello and the mDNS TXT record: the transports and the portable one's TCP port. */
export type TransportOffer = PeerTransports

export interface PeerConnection {
  /** Identical on both ends of one connection (QUIC's shared connection ID; the TLS exporter's bytes on the portable transport), hex. */
  readonly id: string
  /** Which transport carries it. */
  readonly transport: TransportName
  /** 'outbound' when this endpoint dialled it. */
  readonly direction: ConnectionDirection
  readonly remoteHost: string
  readonly remotePort: number
  /** SHA-256 (hex) of the certificate the remote end presented in the handshake. */
  remoteCertificateFingerprint(): string
  /** Opens a stream, runs `body` on it within the timeout, resets the stream if it throws or times out. */
  request<T>(body: (stream: ByteStream) => Promise<T>, options: RequestOptions): Promise<T>
  /**
   * Opens a stream that outlives one exchange (a subscription: a request, its reply, then frames
   * pushed until either end stops). Only the opening is bounded by `timeoutMs`; the caller bounds
   * each step after and cancels the stream when done.
   */
  openStream(options: RequestOptions): Promise<ByteStream>
  /** Sends `bytes`, ends the write side and returns everything the remote end answers. */
  requestBytes(bytes: Uint8Array, options: RequestOptions & {maxBytes?: number}): Promise<Uint8Array>
  isClosed(): boolean
  /** Why the connection ended (idle timeout, closed by the peer, …), once it has. */
  readonly closeReason: string | undefined
  /** Resolves once the connection is gone, whoever closed it (idle timeout, peer, us). */
  readonly closed: Promise<void>
  close(): Promise<void>
}

/** Where an endpoint listens: a shared word (src/words/address.ts). */
export type {ListenAddress} from '../words/address.js'

/** What the endpoint's UDP socket moved since start (QUIC headers and handshakes included). */
export interface TrafficCounters {
  bytes_in: number
  bytes_out: number
  datagrams_in: number
  datagrams_out: number
}

export interface DialOptions {
  timeoutMs?: number
  /** The peer's transports when discovery told them: the set dials the one both speak (transport-set.ts). */
  peer?: PeerTransports
  /** Gives the dial up at once (serve stopping): it fails instead of waiting out its bound. */
  signal?: AbortSignal
}

export interface Endpoint {
  /** Binds the one UDP socket that serves incoming connections and carries outgoing ones. */
  start(address: ListenAddress): Promise<ListenAddress>
  /** The bound address (port resolved when 0 was asked); throws before start. */
  address(): ListenAddress
  dial(host: string, port: number, options?: DialOptions): Promise<PeerConnection>
  on(event: 'connection', listener: (connection: PeerConnection) => void): () => void
  /** Set before start(): a stream that arrives with no handler is reset. */
  onStream(handler: StreamHandler): void
  connections(): PeerConnection[]
  /** The transports served and the portable port (after start). */
  offer(): TransportOffer
  /** UDP payload bytes and datagrams received and sent so far; all zero before start. */
  traffic(): TrafficCounters
  /** Closes every connection and the socket; forces after a bound, never hangs. */
  stop(): Promise<void>
}

export interface TransportSettings {
  /** A connection silent this long is dropped (QUIC idle timeout, both ends). */
  maxIdleTimeoutMs: number
  /** QUIC PINGs on a quiet connection keep a live peer from idling out. */
  keepAliveIntervalMs: number
  /** Default bound of dial(); capped by maxIdleTimeoutMs, as @matrixai/quic demands. */
  dialTimeoutMs: number
  /** UDP payload both ways: 1472 = a 1500-byte Ethernet MTU minus IPv4 and UDP headers. */
  udpPayloadBytes: number
  /** Kernel receive and send buffers of the UDP socket. */
  udpBufferBytes: number
  /** stop() waits this long for graceful closes before forcing. */
  stopTimeoutMs: number
}

/** Where transport warnings go (serve logs them to stderr); QUIC's own INFO lines are dropped. */
export type TransportLog = (level: 'warn' | 'error', message: string) => void
