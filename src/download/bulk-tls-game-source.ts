// A peer as a GameSource whose chunks travel over bulk TLS (SPEC §4.5): a small pool of pinned
// connections, one GetChunk at a time on each. GetGame stays on QUIC (control); when the bulk
// port cannot be reached, refuses or stalls, the chunks go over QUIC too, for this source only.
import type {GameId} from '../library/layout.js'
import {LanspreadError, errorMessage} from '../errors.js'
import type {GameManifest} from '../protocol/messages.js'
import {type BulkConnectOptions, type BulkTlsConnection, connectBulk} from '../transport/bulk-tls-client.js'
import type {BulkTlsSettings} from '../transport/bulk-tls.js'
import type {Certificate} from '../transport/transport-settings.js'
import type {ChunkBufferPool} from '../util/chunk-buffer-pool.js'
import type {ChunkReply, ChunkRequest, GameSource, SourceTransport} from './game-source.js'

/** Two: one chunk crosses the wire while the source reads the next from disk (more only contend for CPU). */
export const DEFAULT_BULK_CONNECTIONS_PER_SOURCE = 2

export interface BulkTlsGameSourceInit {
  peerId: string
  host: string
  /** The `bulk_port` of the peer's Hello/HelloAck. */
  port: number
  /** The fingerprint pinned for `peerId` (PinStore), the certificate of its QUIC connection. */
  expectedFingerprint: string
  /** This peer's certificate, presented as the client certificate. */
  certificate: Certificate
  /** Answers GetGame (over QUIC, like every control message). */
  control: Pick<GameSource, 'getGame'>
  /** Takes the chunks once the bulk port proved unusable (SPEC §4.5: never a failed fetch while QUIC works). */
  fallback?: Pick<GameSource, 'getChunk' | 'maxInFlight' | 'transport'>
  /** Told once, when this source falls back, with the reason. */
  onFallback?(reason: string): void
  /** At most this many connections to the peer at once (chunks in flight). */
  maxConnections?: number
  /** Chunk buffers to read into and give back once the downloader is done with them. */
  buffers?: ChunkBufferPool
  settings?: Partial<BulkTlsSettings>
}

export interface BulkTlsGameSourceComponents {
  connect?: (host: string, port: number, options: BulkConnectOptions) => Promise<BulkTlsConnection>
}

export class BulkTlsGameSource implements GameSource {
  readonly peerId: string
  /** Lowered to the connections open when the server refuses one more (it counts per address). */
  private maxConnections: number
  private readonly connect: NonNullable<BulkTlsGameSourceComponents['connect']>
  private readonly idle: BulkTlsConnection[] = []
  private readonly waiting: Array<(connection: BulkTlsConnection | undefined) => void> = []
  private readonly open = new Set<BulkTlsConnection>()
  /** Connections being opened: they count against the bound before they exist. */
  private opening = 0
  /** A certificate that is not the pin never becomes right: every later request fails at once. */
  private refusal: LanspreadError | undefined
  /** Set once the bulk port proved unusable: every chunk goes to the fallback from then on. */
  private fallbackReason: string | undefined
  private closed = false

  constructor(
    private readonly init: BulkTlsGameSourceInit,
    components: BulkTlsGameSourceComponents = {},
  ) {
    this.peerId = init.peerId
    this.maxConnections = init.maxConnections ?? DEFAULT_BULK_CONNECTIONS_PER_SOURCE
    this.connect = components.connect ?? connectBulk
  }

  get transport(): SourceTransport {
    return this.fallbackReason === undefined
      ? {transport: 'bulk-tls'}
      : {transport: this.init.fallback?.transport?.transport ?? 'quic', fallback_reason: this.fallbackReason}
  }

  /** After a fallback, the QUIC source's bound on chunks in flight (the scheduler reads it on every pump). */
  get maxInFlight(): number | undefined {
    return this.fallbackReason === undefined ? undefined : this.init.fallback?.maxInFlight
  }

  getGame(id: GameId, contentHash?: string): Promise<GameManifest | 'not_modified'> {
    return this.init.control.getGame(id, contentHash)
  }

  async getChunk(request: ChunkRequest): Promise<ChunkReply> {
    const fallback = this.init.fallback
    if (fallback === undefined) return this.overBulk(request)
    if (this.fallbackReason === undefined) {
      try {
        return await this.overBulk(request)
      } catch (error) {
        if (!(error instanceof BulkUnusable)) throw error
      }
    }
    return fallback.getChunk(request)
  }

  private async overBulk(request: ChunkRequest): Promise<ChunkReply> {
    const connection = await this.acquire()
    const lease = this.init.buffers?.take(request.length)
    try {
      const {header, bytes} = await connection.getChunk(request, lease?.buffer)
      return {hash: header.hash, bytes, ...(lease ? {release: lease.release} : {})}
    } catch (error) {
      // A failed connection's TLS layer was last pointed into this buffer (BulkReplyReader): it
      // is left to the collector, never handed to another chunk. A refusal never touched it.
      if (connection.usable) lease?.release()
      // Not one byte came back on this connection: the port accepts but never answers.
      if (!connection.answered && !this.closed && this.init.fallback) throw this.fallBack(errorMessage(error))
      throw error
    } finally {
      this.release(connection)
    }
  }

  /** From now on every chunk goes to the fallback; the error tells the request in hand to go there too. */
  private fallBack(reason: string): BulkUnusable {
    if (this.fallbackReason !== undefined) return new BulkUnusable(this.fallbackReason)
    this.fallbackReason = reason
    this.init.onFallback?.(reason)
    // Requests waiting for a connection find the fallback when they wake.
    for (const wake of this.waiting.splice(0)) wake(undefined)
    for (const connection of this.idle.splice(0)) {
      this.open.delete(connection)
      void connection.close()
    }
    return new BulkUnusable(reason)
  }

  /**
   * Opens one connection before the first request, so its TCP and TLS handshakes are off the
   * first chunk's path: at the start of a swarm the source's link soon carries chunks to others,
   * and a handshake queued behind them took up to 0.5 s. A failure counts as a first request's
   * would: the source falls back to QUIC, or refuses a certificate that is not the pin.
   */
  warm(): void {
    if (this.closed || this.refusal !== undefined || this.fallbackReason !== undefined || this.open.size + this.opening > 0) return
    this.openOne().then(
      (connection) => this.release(connection),
      () => undefined,
    )
  }

  /** Closes every connection; requests waiting for one fail. */
  async close(): Promise<void> {
    this.closed = true
    for (const wake of this.waiting.splice(0)) wake(undefined)
    this.idle.length = 0
    await Promise.all([...this.open].map((connection) => connection.close()))
    this.open.clear()
  }

  /** Connections open now (idle or busy), for tests and status. */
  connectionCount(): number {
    return this.open.size
  }

  private async acquire(): Promise<BulkTlsConnection> {
    this.assertAvailable()
    if (this.fallbackReason !== undefined) throw new BulkUnusable(this.fallbackReason)
    for (let connection = this.idle.pop(); connection !== undefined; connection = this.idle.pop()) {
      if (connection.usable) return connection
      this.open.delete(connection)
    }
    if (this.open.size + this.opening < this.maxConnections) return this.openOne()
    return this.nextFree()
  }

  private async nextFree(): Promise<BulkTlsConnection> {
    const handed = await new Promise<BulkTlsConnection | undefined>((resolve) => this.waiting.push(resolve))
    if (handed !== undefined) return handed
    // Woken without a connection: one was dropped (a slot is free) or the source closed.
    return this.acquire()
  }

  private async openOne(): Promise<BulkTlsConnection> {
    this.opening++
    try {
      const connection = await this.connect(this.init.host, this.init.port, {
        expectedFingerprint: this.init.expectedFingerprint,
        certificate: this.init.certificate,
        peerId: this.peerId,
        ...(this.init.settings === undefined ? {} : {settings: this.init.settings}),
      })
      if (this.closed) {
        await connection.close()
        this.assertAvailable()
      }
      this.open.add(connection)
      return connection
    } catch (error) {
      // Unreachable, refused, stalled in the handshake, another certificate: QUIC takes over
      // (waiters included) before the slot is handed on, so no waiter dials the port again.
      if (this.init.fallback && !this.closed) {
        // With connections already open (or being opened) the port works and the server is
        // full: make do with those. `opening` still counts this attempt.
        const integrity = error instanceof LanspreadError && error.code === 'integrity'
        if (this.open.size + this.opening > 1 && !integrity) {
          this.maxConnections = Math.max(1, this.open.size)
          return this.nextFree()
        }
        throw this.fallBack(errorMessage(error))
      }
      if (error instanceof LanspreadError && error.code === 'integrity') this.refuseFromNowOn(error)
      // The slot this attempt held is free again: let one waiter try for itself.
      this.waiting.shift()?.(undefined)
      throw error
    } finally {
      this.opening--
    }
  }

  private release(connection: BulkTlsConnection): void {
    if (this.closed || !connection.usable) {
      this.open.delete(connection)
      void connection.close()
      this.waiting.shift()?.(undefined)
      return
    }
    const waiter = this.waiting.shift()
    if (waiter) waiter(connection)
    else this.idle.push(connection)
  }

  private refuseFromNowOn(error: LanspreadError): void {
    this.refusal ??= error
    for (const wake of this.waiting.splice(0)) wake(undefined)
  }

  private assertAvailable(): void {
    if (this.refusal) throw this.refusal
    if (this.closed) throw new LanspreadError('io', `the bulk TLS source ${this.peerId} is closed`, {hint: 'the download was cancelled or finished'})
  }
}

/** Thrown inside the source only: the bulk port cannot be used, the request goes to the fallback. */
class BulkUnusable extends LanspreadError {
  constructor(readonly reason: string) {
    super('io', reason)
  }
}
