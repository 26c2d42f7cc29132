// One connection of the portable transport (HTTP/2 over mutual TLS, one TCP connection) seen by
// the runtime exactly like a QUIC one: requests on fresh streams under a timeout, incoming
// streams handed to the stream handler with every error caught, a keep-alive that notices a dead
// peer. HTTP/2 lets only the dialling side open streams, so the dialler opens one "reverse"
// stream first and serves a second HTTP/2 session inside it, on which the accepting side is the
// client: both ends ask and answer on the one connection (record 0033).
import http2, {type ClientHttp2Session, type Http2Session, type Http2Stream, type IncomingHttpHeaders, type ServerHttp2Stream, constants} from 'node:http2'
import type {TLSSocket} from 'node:tls'
import {LanspreadError, errorMessage} from '../errors.js'
import {hostPort} from '../words/address.js'
import {peerFingerprint} from './certs.js'
import type {ByteStream, ConnectionDirection, PeerConnection, RequestOptions, StreamHandler, TransportLog} from './endpoint.js'
import {type PortableByteStream, byteStreamOf} from './portable-stream.js'
import {requestBytesWith, runBody} from './request-body.js'
import {withTimeout} from './with-timeout.js'

/** The label both ends feed the TLS exporter (RFC 5705) with: the same bytes there make the shared connection ID. */
const CONNECTION_ID_LABEL = 'EXPORTER-lanspread-connection-id'

/** Every request stream carries this path; the method and path mean nothing else. */
const REQUEST_PATH = '/lanspread/1'
/** The one stream the dialler opens first, carrying the session the accepting side asks on. */
const REVERSE_PATH = '/lanspread/1/reverse'

export interface PortableConnectionDeps {
  log: TransportLog
  streamHandler: () => StreamHandler | undefined
  /** HTTP/2 settings of every session (windows, frame size, concurrent streams). */
  settings: http2.Settings
  /** A session silent this long (no answer to our pings) is destroyed. */
  maxIdleTimeoutMs: number
  keepAliveIntervalMs: number
  /** close() waits this long for streams in flight before it destroys the session; a settled stream the peer leaves open goes after it too. */
  closeTimeoutMs: number
}

export class PortablePeerConnection implements PeerConnection {
  readonly id: string
  readonly transport = 'portable'
  readonly closed: Promise<void>
  readonly remoteHost: string
  readonly remotePort: number
  private readonly fingerprint: string
  private lastError: string | undefined
  private lastHeard = Date.now()
  private readonly keepAlive: NodeJS.Timeout
  /** The session this end asks on: the TCP one when it dialled, the reverse one when it accepted. */
  private client: ClientHttp2Session | undefined
  private readonly clientReady: Promise<ClientHttp2Session>
  private setClient: (client: ClientHttp2Session) => void = () => undefined
  private readonly inner: Http2Session[] = []

  constructor(
    private readonly session: Http2Session,
    socket: TLSSocket,
    readonly direction: ConnectionDirection,
    private readonly deps: PortableConnectionDeps,
  ) {
    this.remoteHost = socket.remoteAddress ?? 'unknown'
    this.remotePort = socket.remotePort ?? 0
    const fingerprint = peerFingerprint(socket)
    if (fingerprint === undefined) throw new LanspreadError('internal', `peer at ${this.label} presented no certificate`)
    this.fingerprint = fingerprint
    this.id = socket.exportKeyingMaterial(16, CONNECTION_ID_LABEL, Buffer.alloc(0)).toString('hex')
    session.on('error', (error: unknown) => (this.lastError = errorMessage(error)))
    session.on(
      'goaway',
      (code: number) => (this.lastError ??= code === constants.NGHTTP2_NO_ERROR ? 'closed by the peer' : `closed by the peer (code ${code})`),
    )
    this.closed = new Promise((resolve) =>
      session.once('close', () => {
        this.lastError ??= 'the connection closed'
        resolve()
      }),
    )
    this.keepAlive = setInterval(() => this.ping(), Math.max(1, Math.min(deps.keepAliveIntervalMs, deps.maxIdleTimeoutMs / 2)))
    this.keepAlive.unref()
    this.clientReady = new Promise((resolve) => (this.setClient = resolve))
    void this.closed.then(() => {
      clearInterval(this.keepAlive)
      for (const inner of this.inner) inner.destroy()
    })
    if (direction === 'outbound' && isClient(session)) this.openReverse(session)
    else session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.onOuterStream(stream, headers))
  }

  /** Dialler: asks on the TCP session, serves the reverse session inside its first stream. */
  private openReverse(session: ClientHttp2Session): void {
    this.useClient(session)
    const tunnel = session.request({':method': 'POST', ':path': REVERSE_PATH}, {endStream: false})
    tunnel.on('error', () => undefined)
    const served = http2.performServerHandshake(tunnel, {settings: this.deps.settings})
    this.adoptInner(served)
    served.on('stream', (stream: ServerHttp2Stream) => this.acceptStream(stream))
  }

  /** Acceptor: the reverse stream (once) becomes the session it asks on; every other stream is a request. */
  private onOuterStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    if (headers[':path'] !== REVERSE_PATH) return this.acceptStream(stream)
    if (this.client) {
      stream.close(constants.NGHTTP2_REFUSED_STREAM)
      return
    }
    stream.on('error', () => undefined)
    stream.respond({':status': 200}, {endStream: false})
    const client = http2.connect(`https://${hostPort(this.remoteHost, this.remotePort)}`, {createConnection: () => stream, settings: this.deps.settings})
    this.adoptInner(client)
    this.useClient(client)
  }

  private useClient(client: ClientHttp2Session): void {
    this.client = client
    this.setClient(client)
  }

  private adoptInner(inner: Http2Session): void {
    inner.on('error', (error: unknown) => (this.lastError ??= errorMessage(error)))
    this.inner.push(inner)
  }

  get label(): string {
    return hostPort(this.remoteHost, this.remotePort)
  }

  get closeReason(): string | undefined {
    return this.lastError
  }

  remoteCertificateFingerprint(): string {
    return this.fingerprint
  }

  isClosed(): boolean {
    return this.session.closed || this.session.destroyed
  }

  async request<T>(body: (stream: ByteStream) => Promise<T>, options: RequestOptions): Promise<T> {
    const {raw, stream, what} = await this.newStream(options)
    try {
      const result = await withTimeout(runBody(body, stream), options.timeoutMs, what, () => stream.cancel(new Error('timed out')))
      settle(raw, stream, this.deps.closeTimeoutMs)
      return result
    } catch (error) {
      stream.cancel(error)
      throw requestError(what, error)
    }
  }

  requestBytes(bytes: Uint8Array, options: RequestOptions & {maxBytes?: number}): Promise<Uint8Array> {
    return requestBytesWith((body, requestOptions) => this.request(body, requestOptions), bytes, options)
  }

  async openStream(options: RequestOptions): Promise<ByteStream> {
    return (await this.newStream(options)).stream
  }

  /** Lets the streams in flight finish (bounded), then the session goes. */
  async close(): Promise<void> {
    if (this.session.destroyed) return
    const timer = setTimeout(() => this.session.destroy(), this.deps.closeTimeoutMs)
    timer.unref()
    // The reverse session's stream never ends by itself: the inner sessions close first.
    for (const inner of this.inner) if (!inner.closed) inner.close()
    if (!this.session.closed) this.session.close()
    await this.closed
    clearTimeout(timer)
  }

  /** Destroys the session at once (stop past its grace). */
  destroy(): void {
    this.session.destroy()
  }

  /** A fresh request stream, once the session this end asks on exists (bounded by the request's timeout). */
  private async newStream(options: RequestOptions): Promise<{raw: Http2Stream; stream: PortableByteStream; what: string}> {
    const what = `${options.what} to peer at ${this.label}`
    const client = this.client ?? (await withTimeout(this.clientReady, options.timeoutMs, `${what} (waiting for the reverse stream)`))
    const raw = this.openRaw(client, what)
    return {raw, stream: byteStreamOf(raw, what), what}
  }

  private openRaw(client: ClientHttp2Session, what: string): Http2Stream {
    if (this.isClosed()) {
      throw new LanspreadError('io', `${what} failed: the connection is closed${this.lastError ? ` (${this.lastError})` : ''}`)
    }
    try {
      return client.request({':method': 'POST', ':path': REQUEST_PATH}, {endStream: false})
    } catch (error) {
      throw requestError(what, error)
    }
  }

  /** Each answered ping proves the peer alive; none for the idle timeout, and the session goes. */
  private ping(): void {
    if (this.isClosed()) return
    if (Date.now() - this.lastHeard > this.deps.maxIdleTimeoutMs) {
      this.lastError = `no answer for ${this.deps.maxIdleTimeoutMs} ms (idle timeout)`
      this.session.destroy()
      return
    }
    try {
      this.session.ping((error) => {
        if (!error) this.lastHeard = Date.now()
      })
    } catch {
      // Too many pings unanswered at once: the idle check above ends it.
    }
  }

  /** Serves one stream the peer opened; never rejects. */
  private acceptStream(raw: ServerHttp2Stream): void {
    this.lastHeard = Date.now()
    const handler = this.deps.streamHandler()
    const stream = byteStreamOf(raw, `a request from peer at ${this.label}`)
    if (!handler) {
      stream.cancel(new Error('no stream handler'))
      return
    }
    try {
      raw.respond({':status': 200}, {endStream: false})
    } catch {
      stream.cancel(new Error('could not answer'))
      return
    }
    void runBody((served) => handler(served, this), stream).then(
      () => settle(raw, stream, this.deps.closeTimeoutMs),
      (error: unknown) => {
        stream.cancel(error)
        if (!this.isClosed()) this.deps.log('warn', `a request from peer at ${this.label} failed: ${errorMessage(error)}`)
      },
    )
  }
}

/**
 * After a successful exchange: an unread rest is read and dropped, an unclosed write side ends
 * gracefully. Never a reset here: HTTP/2 resets both directions at once, and an answer written
 * but still held back by flow control would be lost. A peer that never ends its side loses the
 * stream after `graceMs`, so it cannot hold streams open.
 */
function settle(raw: Http2Stream, stream: PortableByteStream, graceMs: number): void {
  if (raw.destroyed || raw.closed) return
  if (!raw.writableEnded) {
    // A writer still held means the body left its answer half written: that stream is reset.
    if (stream.writable.locked) return stream.cancel(new Error('left open'))
    stream.writable.close().catch(() => undefined)
  }
  if (!raw.readableEnded) stream.drain()
  const timer = setTimeout(() => stream.cancel(new Error('not ended by the peer')), graceMs)
  timer.unref()
  raw.once('close', () => clearTimeout(timer))
}

function isClient(session: Http2Session): session is ClientHttp2Session {
  return 'request' in session
}

function requestError(what: string, error: unknown): LanspreadError {
  if (error instanceof LanspreadError) return error
  return new LanspreadError('io', `${what} failed: ${errorMessage(error)}`, {
    hint: 'the peer may have closed the stream or gone away; it is tried again later',
    cause: error,
  })
}
