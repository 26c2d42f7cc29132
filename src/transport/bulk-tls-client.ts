// The asking end of the bulk data plane (SPEC §4.5): one TLS connection to a peer's bulk port,
// used only once its certificate proved to be the one pinned for that peer_id, one GetChunk at a
// time, each asked through framed-request.ts (the replies read by BulkReplyReader).
import type {OnReadOpts} from 'node:net'
import tls from 'node:tls'
import {LanspreadError, errorMessage} from '../errors.js'
import {encodeFrame} from '../protocol/framing.js'
import type {ChunkHeader, ErrorMessage, GetChunk} from '../protocol/messages.js'
import {peerLabel, protocolViolation} from '../protocol/violation.js'
import {fromWireError} from '../protocol/wire-errors.js'
import {type BulkReply, BulkReplyReader} from './bulk-reply-reader.js'
import {BULK_ALPN, type BulkTlsSettings, bulkTlsSettings, closeWithin, writeCorked} from './bulk-tls.js'
import {peerFingerprint} from './certs.js'
import {type RequestChannel, ask} from './framed-request.js'
import type {Certificate} from './transport-settings.js'
import {TIMEOUT_HINT, withTimeout} from './with-timeout.js'
import {SerialLock} from '../util/serial-lock.js'

export interface BulkConnectOptions {
  /** The SHA-256 fingerprint pinned for this peer_id (the certificate of its QUIC connection). */
  expectedFingerprint: string
  /** This peer's certificate, shown to the server, which serves only pinned peers. */
  certificate: Certificate
  /** Names the peer in messages. */
  peerId?: string
  settings?: Partial<BulkTlsSettings>
}

export type ChunkAsk = Omit<GetChunk, 'type'>

export interface ChunkAnswer {
  header: ChunkHeader
  bytes: Uint8Array
}

/** Connects and checks the server's certificate against the pin before anything is sent. */
export async function connectBulk(host: string, port: number, options: BulkConnectOptions): Promise<BulkTlsConnection> {
  const settings = bulkTlsSettings(options.settings)
  // Who, as the protocol's messages name a peer (peerLabel adds "peer ").
  const peer = options.peerId === undefined ? `at ${host}:${port}` : `${options.peerId} (${host}:${port})`
  const reader = new BulkReplyReader(peer)
  const connectOptions: tls.ConnectionOptions & {onread: OnReadOpts} = {
    host,
    port,
    secureContext: contextFor(options.certificate),
    ALPNProtocols: [BULK_ALPN],
    // Self-signed certificates never pass CA verification; the pin below is the check.
    rejectUnauthorized: false,
    // Replies are decrypted straight into the chunk buffers (see BulkReplyReader).
    onread: reader.onread,
  }
  const socket = tls.connect(connectOptions)
  socket.on('error', () => undefined)
  try {
    await withTimeout(secureConnected(socket, peer), settings.connectTimeoutMs, `the bulk TLS connection to ${peerLabel(peer)}`)
    checkServer(socket, peer, options.expectedFingerprint)
  } catch (error) {
    socket.destroy()
    throw error
  }
  return new BulkTlsConnection(socket, peer, settings, reader)
}

/**
 * One TLS context per certificate: building one parses the key (~1.5 ms of CPU), and a fetch
 * opens up to two connections to each source, most of them at its start, when every serve of a
 * swarm is busy at once.
 */
const contexts = new WeakMap<Certificate, tls.SecureContext>()

function contextFor(certificate: Certificate): tls.SecureContext {
  let context = contexts.get(certificate)
  if (context === undefined) {
    context = tls.createSecureContext({cert: certificate.certPem, key: certificate.keyPem})
    contexts.set(certificate, context)
  }
  return context
}

function secureConnected(socket: tls.TLSSocket, peer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve())
    socket.once('error', (error) =>
      reject(
        new LanspreadError('io', `could not open a bulk TLS connection to ${peerLabel(peer)}: ${errorMessage(error)}`, {
          hint: 'the peer may have stopped or a firewall blocks its bulk port; lanspread uses QUIC or other peers',
          cause: error,
        }),
      ),
    )
    socket.once('close', () => reject(new LanspreadError('io', `${peerLabel(peer)} closed the bulk TLS connection during the handshake`)))
  })
}

function checkServer(socket: tls.TLSSocket, peer: string, expected: string): void {
  const presented = peerFingerprint(socket)
  if (presented !== expected.toLowerCase().replaceAll(':', '')) {
    throw new LanspreadError(
      'integrity',
      `the bulk TLS server of ${peerLabel(peer)} presented ${presented === undefined ? 'no certificate' : `certificate ${presented.slice(0, 16)}…`}, not the certificate pinned for that peer (${expected.slice(0, 16)}…); nothing was requested from it`,
      {
        hint: 'another program may now answer on that port, or someone sits in between; lanspread fetches from this peer over QUIC or from other peers. If the peer was reinstalled, run `lanspread peers --forget PEER_ID`',
      },
    )
  }
  if (socket.alpnProtocol !== BULK_ALPN) {
    throw new LanspreadError('protocol', `${peerLabel(peer)} does not speak ${BULK_ALPN} on its bulk port`, {
      hint: 'check that both peers run the same lanspread version',
    })
  }
}

export class BulkTlsConnection {
  /** Requests run one after the other: the replies share one byte stream. */
  private readonly queue = new SerialLock()
  private failure: LanspreadError | undefined

  constructor(
    private readonly socket: tls.TLSSocket,
    readonly peer: string,
    private readonly settings: BulkTlsSettings,
    private readonly reader: BulkReplyReader,
  ) {
    reader.onFailure = (error) => {
      this.failure ??= error
      socket.destroy()
    }
    const ended = (): void => reader.ended()
    socket.once('end', ended)
    socket.once('close', () => {
      this.failure ??= new LanspreadError('io', `${peerLabel(peer)} closed the bulk TLS connection`, {
        hint: 'lanspread opens another connection or asks another source',
      })
      ended()
    })
  }

  /** True once the server sent any reply byte: a connection that failed without one says the port is unusable. */
  get answered(): boolean {
    return this.reader.seenBytes > 0
  }

  /** False once the connection closed or fell out of step: a pool drops it. */
  get usable(): boolean {
    return this.failure === undefined
  }

  /** One chunk; a peer's Error reply becomes its LanspreadError and leaves the connection usable. */
  /** `into`: a buffer of at least `request.length` bytes the chunk is read into (else a new one is). */
  getChunk(request: ChunkAsk, into?: Uint8Array): Promise<ChunkAnswer> {
    return this.queue.withF(() => this.askChunk(request, into))
  }

  async close(): Promise<void> {
    this.failure ??= new LanspreadError('io', `the bulk TLS connection to ${peerLabel(this.peer)} was closed`)
    if (!this.socket.destroyed) this.socket.end()
    await closeWithin(this.socket, this.settings.closeGraceMs)
  }

  private async askChunk(request: ChunkAsk, into: Uint8Array | undefined): Promise<ChunkAnswer> {
    if (this.failure) throw this.failure
    const what = `chunk ${request.path}@${request.offset} of ${request.id} from ${peerLabel(this.peer)}`
    const channel = this.channel(request.length, into)
    let outcome: ChunkAnswer | ErrorMessage
    const silence = this.answered ? undefined : this.watchFirstReply()
    try {
      const reply = await ask(
        channel,
        {type: 'GetChunk', ...request},
        {
          peer: this.peer,
          expect: ['ChunkHeader', 'Error'],
          timeoutMs: this.settings.requestTimeoutMs,
          what,
          onTimeout: () => this.socket.destroy(),
        },
      )
      outcome = reply.type === 'Error' ? reply : {header: reply, bytes: channel.bytes()}
    } catch (error) {
      // Anything but a clean refusal leaves the byte stream out of step: this connection is done.
      this.failure ??= error instanceof LanspreadError ? error : new LanspreadError('io', `${what} failed: ${errorMessage(error)}`, {cause: error})
      this.socket.destroy()
      throw error
    } finally {
      clearTimeout(silence)
    }
    // A peer's Error reply: the server refused this request and the connection is still in step.
    if ('type' in outcome) throw fromWireError(outcome, this.peer)
    return outcome
  }

  /** A server that accepts a request and never answers a byte is stalled: the wait ends early. */
  private watchFirstReply(): NodeJS.Timeout {
    const ms = this.settings.replyTimeoutMs
    return setTimeout(() => {
      if (this.answered) return
      this.reader.fail(new LanspreadError('io', `${peerLabel(this.peer)} sent no reply byte within ${ms} ms on its bulk port`, {hint: TIMEOUT_HINT}))
    }, ms)
  }

  /** One GetChunk's exchange: its reply expected before the request goes out (the first bytes may come at once). */
  private channel(length: number, into: Uint8Array | undefined): RequestChannel & {bytes(): Uint8Array} {
    let replied: Promise<BulkReply> | undefined
    let bytes: Uint8Array | undefined
    return {
      send: async (request) => {
        replied = this.reader.expect(length, into)
        replied.catch(() => undefined)
        await writeCorked(this.socket, encodeFrame(request))
      },
      receive: async () => {
        const reply = await replied
        bytes = reply?.bytes
        return reply?.message
      },
      bytes: () => {
        if (bytes === undefined) throw protocolViolation(this.peer, 'a ChunkHeader without its chunk')
        return bytes
      },
    }
  }
}
