// The serving end of the bulk data plane (SPEC §4.5): a node:tls server that answers GetChunk
// requests in sequence on each connection (each through framed-request.ts's answerOne), only for
// clients whose certificate is pinned to a peer.
import type {AddressInfo, Socket} from 'node:net'
import tls from 'node:tls'
import {LanspreadError, errorMessage} from '../errors.js'
import {NO_LARGE_FRAME} from '../protocol/frame-limits.js'
import {FrameReader} from '../protocol/frame-reader.js'
import {encodeFrame} from '../protocol/framing.js'
import {FRAME_PREFIX_BYTES} from '../protocol/limits.js'
import type {Message} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import {toWireError} from '../protocol/wire-errors.js'
import {BULK_ALPN, type BulkTlsSettings, bulkTlsSettings, closeWithin, writeCorked} from './bulk-tls.js'
import {peerFingerprint} from './certs.js'
import type {TransportLog} from './endpoint.js'
import {type AnswerChannel, type FramedReply, answerOne} from './framed-request.js'
import {HandshakeGate} from './handshake-gate.js'
import type {PinStore} from './pins.js'
import type {Certificate} from './transport-settings.js'

/**
 * A request in, a reply out (and a chunk's raw bytes): the serving layer's GameRequestHandler
 * fits. This plane asks for `framed` replies: it writes them in one write and releases them only
 * once the socket no longer holds their bytes, so the handler may read chunks into reused buffers.
 */
export type BulkRequestHandler = (request: Message, peerId: string, plane?: {framed: true}, address?: string) => Promise<BulkReply>

/** `release` (the chunk's permit and buffer) is called once the socket is done with the bytes: drained, or closed. */
export type BulkReply = FramedReply

/** The peer_id whose pinned certificate has this SHA-256 fingerprint, or undefined for a stranger. */
export type IdentifyPeer = (fingerprint: string) => string | undefined | Promise<string | undefined>

/** Identifies a client by the pins (SPEC §4.4): the peer_id whose pinned fingerprint it is. */
export function identifyFromPins(pins: Pick<PinStore, 'list'>): IdentifyPeer {
  return async (fingerprint) => (await pins.list()).find((pin) => pin.fingerprint === fingerprint)?.peer_id
}

export interface BulkTlsServerInit {
  certificate: Certificate
  identify: IdentifyPeer
  handler: BulkRequestHandler
  settings?: Partial<BulkTlsSettings>
}

export interface BulkTlsServerComponents {
  log?: TransportLog
}

interface Served {
  peerId: string
  socket: tls.TLSSocket
  /** A request is being answered: stop lets it finish (within the grace) instead of cutting it. */
  busy: boolean
}

/** Started once and stopped once, like the QUIC endpoint. */
export class BulkTlsServer {
  readonly settings: BulkTlsSettings
  private readonly server: tls.Server
  private readonly log: TransportLog
  private readonly sockets = new Set<Socket>()
  private readonly served = new Set<Served>()
  /** Per-address limit and handshake deadline of every accepted connection (SPEC §4.6). */
  private readonly gate: HandshakeGate
  private stopping: Promise<void> | undefined

  constructor(
    private readonly init: BulkTlsServerInit,
    components: BulkTlsServerComponents = {},
  ) {
    this.settings = bulkTlsSettings(init.settings)
    this.log = components.log ?? (() => undefined)
    this.gate = new HandshakeGate({maxPerAddress: this.settings.maxConnectionsPerAddress, handshakeTimeoutMs: this.settings.handshakeTimeoutMs})
    this.server = tls.createServer({
      cert: init.certificate.certPem,
      key: init.certificate.keyPem,
      ALPNProtocols: [BULK_ALPN],
      // Every client shows its own self-signed lanspread certificate; who it is gets decided by
      // its pin (identify), not by a CA, so the handshake itself accepts any certificate.
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: this.settings.handshakeTimeoutMs,
    })
    // Handshakes in progress count too, so strangers cannot pile up sockets.
    this.server.maxConnections = this.settings.maxConnections
    this.server.on('connection', (socket: Socket) => this.track(socket))
    this.server.on('secureConnection', (socket: tls.TLSSocket) => void this.accept(socket))
    // Node reports a handshake timeout here but leaves the socket open: close it (SPEC §4.6).
    this.server.on('tlsClientError', (error, socket) => {
      this.log('warn', `bulk TLS handshake from ${socket.remoteAddress} failed: ${errorMessage(error)}`)
      socket.destroy()
    })
  }

  async start(listen: {host: string; port: number}): Promise<{host: string; port: number}> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new LanspreadError(listenErrorCode(error), `could not listen for bulk TLS on ${listen.host}:${listen.port}: ${errorMessage(error)}`, {
            hint: 'another program may use that port; choose another one or 0 for any free port',
            cause: error,
          }),
        )
      this.server.once('error', onError)
      this.server.listen(listen.port, listen.host, () => {
        this.server.off('error', onError)
        resolve()
      })
    })
    this.server.on('error', (error) => this.log('warn', `bulk TLS server: ${errorMessage(error)}`))
    const address = this.server.address() as AddressInfo
    return {host: address.address, port: address.port}
  }

  /** Open TCP connections, handshaking or served (what the kernel-facing server counts). */
  connectionCount(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((error, count) => (error ? reject(error) : resolve(count))))
  }

  /** Connections of identified peers being served. */
  servedCount(): number {
    return this.served.size
  }

  /** Stops listening, lets replies in flight finish within the grace, closes everything else. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown()
    return this.stopping
  }

  private async shutDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const connection of this.served) if (!connection.busy) connection.socket.end()
    await Promise.all([...this.served].map((connection) => closeWithin(connection.socket, this.settings.closeGraceMs)))
    // Handshakes in progress and anything still open after the grace.
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  private track(socket: Socket): void {
    // A socket error also closes it; the listener keeps it from becoming an uncaught exception.
    socket.on('error', () => undefined)
    // One address cannot use up the budget; silent or stalled after its ClientHello, a
    // connection is closed at its deadline.
    if (this.stopping || !this.gate.admit(socket)) {
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private async accept(socket: tls.TLSSocket): Promise<void> {
    // Read now: once the socket is closed, remoteAddress is undefined (logs said "from undefined").
    const from = socket.remoteAddress ?? 'an unknown address'
    socket.on('error', (error) => this.log('warn', `bulk TLS connection from ${from}: ${errorMessage(error)}`))
    // The TLS socket wraps the raw one, which the stop must also find.
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    // From here on a connection where no byte moves (a slow identify, an idle client, one
    // that stopped reading mid-chunk) is closed.
    socket.setTimeout(this.settings.idleTimeoutMs, () => socket.destroy())
    const peerId = await this.authenticate(socket, from)
    // Authenticated (or refused below): the idle timeout takes over from the handshake deadline.
    this.gate.authenticated(socket)
    if (peerId === undefined || this.stopping) {
      socket.destroy()
      return
    }
    if (this.countOf(peerId) >= this.settings.maxConnectionsPerPeer) {
      this.log('warn', `bulk TLS: peer ${peerId} opened more than ${this.settings.maxConnectionsPerPeer} connections; one refused`)
      await this.refuse(socket, new LanspreadError('busy', `peer ${peerId} already holds ${this.settings.maxConnectionsPerPeer} bulk connections`))
      return
    }
    const connection: Served = {peerId, socket, busy: false}
    this.served.add(connection)
    socket.once('close', () => this.served.delete(connection))
    await this.serve(connection).catch((error: unknown) => {
      // A client that went away (a cancelled download) or timed out is not worth a warning.
      if (!socket.destroyed) this.log('warn', `bulk TLS: serving peer ${peerId} failed: ${errorMessage(error)}`)
      socket.destroy()
    })
  }

  /** The peer_id of the client's certificate, or undefined (no ALPN, no certificate, not pinned). */
  private async authenticate(socket: tls.TLSSocket, from: string): Promise<string | undefined> {
    if (socket.alpnProtocol !== BULK_ALPN) return undefined
    const fingerprint = peerFingerprint(socket)
    if (fingerprint === undefined) return undefined
    try {
      const peerId = await this.init.identify(fingerprint)
      if (peerId === undefined) this.log('warn', `bulk TLS: refused ${from}, whose certificate ${fingerprint.slice(0, 16)}… is pinned to no peer`)
      return peerId
    } catch (error) {
      this.log('warn', `bulk TLS: could not identify the certificate of ${from}: ${errorMessage(error)}`)
      return undefined
    }
  }

  private countOf(peerId: string): number {
    let count = 0
    for (const connection of this.served) if (connection.peerId === peerId) count++
    return count
  }

  /** Requests in sequence until the client ends, sends an invalid frame, or the server stops. */
  private async serve(connection: Served): Promise<void> {
    const {peerId, socket} = connection
    const channel = this.channel(socket, peerId)
    for (;;) {
      const outcome = await answerOne(channel, (request) => {
        if (request.type !== 'GetChunk') {
          // Control messages travel over QUIC (SPEC §4.5): anything else here is out of protocol.
          throw protocolViolation(peerId, `${request.type} is not served over bulk TLS (only GetChunk)`)
        }
        connection.busy = true
        return this.answer(request, peerId, socket.remoteAddress)
      })
      if (!('answered' in outcome)) return
      connection.busy = false
      if (this.stopping) {
        socket.end()
        return
      }
    }
  }

  /** The answering end on one connection: requests read without large frames, replies written in one corked write. */
  private channel(socket: tls.TLSSocket, peerId: string): AnswerChannel {
    const reader = new FrameReader(socket, {peer: peerId, largeTypes: NO_LARGE_FRAME})
    return {
      receive: () => reader.next(),
      // writeCorked settles once the socket drained (TLS encrypted and sent every byte) or closed
      // (the rest is dropped, never written): either way it no longer holds the reply's buffer.
      send: async (answer) => {
        if (!answer) return
        if (answer.framed) await writeCorked(socket, answer.framed)
        else await writeCorked(socket, encodeFrame(answer.reply), answer.raw)
      },
      end: async () => void socket.end(),
      refuse: (error) => this.refuse(socket, error),
    }
  }

  /** The handler's reply, or an Error reply: a refused request leaves the connection in step. */
  private async answer(request: Message, peerId: string, address?: string): Promise<BulkReply> {
    try {
      const answer = await this.init.handler(request, peerId, {framed: true}, address)
      const rawLength = answer.raw?.length ?? 0
      const expected = answer.reply.type === 'ChunkHeader' ? answer.reply.length : 0
      if (rawLength !== expected) {
        answer.release?.()
        throw new LanspreadError('internal', `the reply to peer ${peerId} announces ${expected} raw bytes but carries ${rawLength}`)
      }
      if (answer.framed !== undefined && !framesReply(answer.framed, rawLength)) {
        answer.release?.()
        throw new LanspreadError('internal', `the framed reply to peer ${peerId} is not one frame followed by its ${rawLength} raw bytes`)
      }
      return answer
    } catch (error) {
      if (!(error instanceof LanspreadError)) this.log('warn', `bulk TLS: a request of peer ${peerId} failed: ${errorMessage(error)}`)
      return {reply: toWireError(error)}
    }
  }

  /** An Error frame, then the end of the connection (SPEC §4.2: an invalid frame closes the stream). */
  private async refuse(socket: tls.TLSSocket, error: unknown): Promise<void> {
    try {
      await writeCorked(socket, encodeFrame(toWireError(error)))
      socket.end()
      await closeWithin(socket, this.settings.closeGraceMs)
    } catch {
      socket.destroy()
    }
  }
}

/** True when `framed` is a length prefix, that many bytes of frame, then exactly `rawLength` bytes. */
function framesReply(framed: Uint8Array, rawLength: number): boolean {
  if (framed.length < FRAME_PREFIX_BYTES) return false
  const body = new DataView(framed.buffer, framed.byteOffset, FRAME_PREFIX_BYTES).getUint32(0)
  return framed.length === FRAME_PREFIX_BYTES + body + rawLength
}

/** A port taken or an address that is not ours is not a filesystem error (exit 13, not 11). */
function listenErrorCode(error: Error): 'address_unavailable' | 'io' {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' ? 'address_unavailable' : 'io'
}
