// What both ends of the bulk data plane (SPEC §4.5) share: the ALPN, the limits and timeouts,
// and the one-write reply so a 4 MiB chunk moves at TCP speed.
import type {TLSSocket} from 'node:tls'
import {LanspreadError} from '../errors.js'

/** ALPN of bulk-TLS connections; a client that offers anything else is not served. */
export const BULK_ALPN = 'lanspread-bulk/1'

export interface BulkTlsSettings {
  /** TCP connections the server holds at once (handshaking or served), all sources together. */
  maxConnections: number
  /** TCP connections one source address may hold at once: one host cannot use up `maxConnections`. */
  maxConnectionsPerAddress: number
  /** Authenticated connections one peer may hold at once; more get a `busy` Error and are closed. */
  maxConnectionsPerPeer: number
  /** A TLS handshake (and the pin lookup after it) must finish within this, counted from the TCP accept; else the connection is closed. */
  handshakeTimeoutMs: number
  /** A server connection with no byte moving either way (an idle client, or one that stopped reading) is closed. */
  idleTimeoutMs: number
  /** Client: connecting and the certificate check. */
  connectTimeoutMs: number
  /** Client: the first reply on a new connection must begin within this, else its bulk port counts as stalled. */
  replyTimeoutMs: number
  /** Client: one GetChunk, from sending it to the last byte of its chunk. */
  requestTimeoutMs: number
  /** Stop: how long a reply in flight may take to finish before its connection is destroyed. */
  closeGraceMs: number
}

export const DEFAULT_BULK_TLS_SETTINGS: BulkTlsSettings = {
  maxConnections: 64,
  maxConnectionsPerAddress: 16,
  maxConnectionsPerPeer: 4,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  // Longer than a busy server waits for a serving slot before it answers `busy` (10 s).
  replyTimeoutMs: 15_000,
  requestTimeoutMs: 60_000,
  closeGraceMs: 1_000,
}

export function bulkTlsSettings(overrides: Partial<BulkTlsSettings> = {}): BulkTlsSettings {
  const settings = {...DEFAULT_BULK_TLS_SETTINGS, ...overrides}
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new LanspreadError('internal', `bulk TLS setting ${name} must be a positive integer, got ${value}`)
    }
  }
  return settings
}

/**
 * Writes a frame and the bytes after it as one corked write (one writev, no 4 MiB copy) and
 * resolves once the socket can take more, so a peer that stops reading holds the writer back.
 */
export function writeCorked(socket: TLSSocket, frame: Uint8Array, raw?: Uint8Array): Promise<void> {
  if (socket.destroyed || socket.writableEnded) return Promise.reject(closedError())
  socket.cork()
  socket.write(frame)
  if (raw !== undefined && raw.length > 0) socket.write(raw)
  socket.uncork()
  if (socket.writableNeedDrain) return drained(socket)
  return Promise.resolve()
}

function drained(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown): void => {
      socket.off('drain', onDrain)
      socket.off('close', onClose)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onDrain = (): void => settle()
    const onClose = (): void => settle(closedError())
    socket.on('drain', onDrain)
    socket.on('close', onClose)
  })
}

function closedError(): LanspreadError {
  return new LanspreadError('io', 'the bulk TLS connection closed while a reply was being written')
}

/** Resolves when the socket has closed, or after `ms` (then destroys it): close never hangs. */
export function closeWithin(socket: TLSSocket, ms: number): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
