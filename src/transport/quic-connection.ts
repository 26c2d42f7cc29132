// One QUIC connection seen by the runtime: requests on fresh bidirectional streams under a
// timeout, incoming streams handed to the stream handler with every error caught and logged.
import {events as quicEvents, type QUICConnection, type QUICStream} from '@matrixai/quic'
import {LanspreadError, errorMessage} from '../errors.js'
import {hostPort} from '../words/address.js'
import {certificateFingerprint} from './certs.js'
import type {ByteStream, ConnectionDirection, PeerConnection, RequestOptions, StreamHandler, TransportLog} from './endpoint.js'
import {requestBytesWith, runBody} from './request-body.js'
import {withTimeout} from './with-timeout.js'

export interface QuicPeerConnectionDeps {
  log: TransportLog
  streamHandler: () => StreamHandler | undefined
  /** Stops the underlying connection (a client is destroyed, a server connection stopped). */
  stop: () => Promise<void>
}

export class QuicPeerConnection implements PeerConnection {
  readonly id: string
  readonly transport = 'quic'
  readonly closed: Promise<void>
  private readonly fingerprint: string
  private gone = false
  private stop: () => Promise<void>
  private lastError: string | undefined

  constructor(
    private readonly connection: QUICConnection,
    readonly direction: ConnectionDirection,
    private readonly deps: QuicPeerConnectionDeps,
  ) {
    this.stop = deps.stop
    this.id = connection.connectionIdShared.toString()
    const leaf = connection.getRemoteCertsChain()[0]
    if (!leaf) throw new LanspreadError('internal', `peer at ${this.label} presented no certificate`)
    this.fingerprint = certificateFingerprint(leaf)
    connection.addEventListener(quicEvents.EventQUICConnectionError.name, this.onError)
    // From the moment a QUICConnection starts stopping it opens no stream ("not running"), yet
    // its stop waits for quiche's draining timer before closedP settles: it counts as closed from
    // the start of the stop, or the peer looks connected, every pull fails and nobody redials
    // (bench:lan, 40 peers: a pull failing every second for minutes).
    const stopping = new Promise<void>((resolve) => {
      const onStop = (): void => {
        this.gone = true
        resolve()
      }
      connection.addEventListener(quicEvents.EventQUICConnectionStop.name, onStop, {once: true})
    })
    this.closed = Promise.race([stopping, connection.closedP]).then(() => {
      this.gone = true
    })
    void connection.closedP.then(() => connection.removeEventListener(quicEvents.EventQUICConnectionError.name, this.onError))
  }

  get remoteHost(): string {
    return this.connection.remoteHost
  }

  get remotePort(): number {
    return this.connection.remotePort
  }

  /** host:port of the remote end, for messages. */
  get label(): string {
    return hostPort(this.connection.remoteHost, this.connection.remotePort)
  }

  get closeReason(): string | undefined {
    return this.lastError
  }

  remoteCertificateFingerprint(): string {
    return this.fingerprint
  }

  isClosed(): boolean {
    return this.gone || this.connection.closed
  }

  async request<T>(body: (stream: ByteStream) => Promise<T>, options: RequestOptions): Promise<T> {
    const what = `${options.what} to peer at ${this.label}`
    const stream = this.newStream(what)
    const cancel = (reason: unknown) => stream.cancel(reason)
    try {
      const result = await withTimeout(runBody(body, stream), options.timeoutMs, what, () => cancel(new Error('timed out')))
      settleStream(stream)
      return result
    } catch (error) {
      cancel(error)
      throw requestError(what, error)
    }
  }

  requestBytes(bytes: Uint8Array, options: RequestOptions & {maxBytes?: number}): Promise<Uint8Array> {
    return requestBytesWith((body, requestOptions) => this.request(body, requestOptions), bytes, options)
  }

  async openStream(options: RequestOptions): Promise<ByteStream> {
    return this.newStream(`${options.what} to peer at ${this.label}`)
  }

  async close(): Promise<void> {
    if (this.connection.closed) return
    await this.stop()
  }

  private newStream(what: string): QUICStream {
    if (this.isClosed()) {
      throw new LanspreadError('io', `${what} failed: the connection is closed${this.lastError ? ` (${this.lastError})` : ''}`)
    }
    try {
      return this.connection.newStream('bidi')
    } catch (error) {
      throw requestError(what, error)
    }
  }

  private readonly onError = (event: Event): void => {
    const detail = (event as quicEvents.EventQUICConnectionError).detail
    this.lastError = describeQuicError(detail)
  }

  /** A dialled connection is closed through its QUICClient, so the client is released too. */
  setStop(stop: () => Promise<void>): void {
    this.stop = stop
  }

  /** Serves one stream the peer opened; never rejects. */
  acceptStream(stream: QUICStream): void {
    void this.serveStream(stream).catch((error: unknown) => {
      this.deps.log('error', `stream handler bookkeeping failed for peer at ${this.label}: ${errorMessage(error)}`)
    })
  }

  /** A peer resetting its stream makes reads throw: the throw ends here, never in the process. */
  private async serveStream(stream: QUICStream): Promise<void> {
    const handler = this.deps.streamHandler()
    if (!handler) {
      stream.cancel(new Error('no stream handler'))
      return
    }
    try {
      await handler(stream, this)
      settleStream(stream)
    } catch (error) {
      stream.cancel(error)
      if (!this.isClosed()) this.deps.log('warn', `a request from peer at ${this.label} failed: ${errorMessage(error)}`)
    }
  }
}

/**
 * Ends whatever the caller left open after a successful exchange: the unread rest of the
 * readable is cancelled, an unclosed writable closed gracefully (resetting it could drop bytes
 * still in flight), a side still locked by a forgotten reader resets the stream.
 */
function settleStream(stream: QUICStream): void {
  if (stream.readClosed && stream.writeClosed) return
  if ((!stream.readClosed && stream.readable.locked) || (!stream.writeClosed && stream.writable.locked)) {
    stream.cancel(new Error('left open'))
    return
  }
  if (!stream.readClosed) stream.readable.cancel().catch(() => undefined)
  if (!stream.writeClosed) stream.writable.close().catch(() => undefined)
}

function requestError(what: string, error: unknown): LanspreadError {
  if (error instanceof LanspreadError) return error
  return new LanspreadError('io', `${what} failed: ${describeQuicError(error)}`, {
    hint: 'the peer may have closed the stream or gone away; it is tried again later',
    cause: error,
  })
}

/** @matrixai/quic errors carry the useful part (a code, a reason) in `cause` or `data`. */
export function describeQuicError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return errorMessage(error)
  // Many @matrixai/quic errors have an empty message and say what they are in `description`.
  const {description} = error as {description?: unknown}
  const message = errorMessage(error) || (typeof description === 'string' ? description : error.constructor.name)
  const {cause, data} = error as {cause?: unknown; data?: unknown}
  const extra = data !== undefined ? JSON.stringify(data) : cause !== undefined ? errorMessage(cause) : ''
  return extra && extra !== '{}' ? `${message} (${extra})` : message
}
