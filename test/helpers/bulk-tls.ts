// Bulk-TLS test material: identities made once per file, an in-memory chunk handler over one
// buffer, a server on 127.0.0.1 stopped after the test, and raw TLS clients that misbehave.
import {createHash} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import tls from 'node:tls'
import {onTestFinished} from 'vitest'
import {LanspreadError} from '../../src/errors.js'
import type {Message} from '../../src/protocol/messages.js'
import {BULK_ALPN, type BulkTlsSettings} from '../../src/transport/bulk-tls.js'
import {type BulkRequestHandler, BulkTlsServer, type IdentifyPeer} from '../../src/transport/bulk-tls-server.js'
import {type TlsIdentity, loadOrCreateCertificate} from '../../src/transport/certs.js'
import {makeTempDirOutsideTest} from './temp-library.js'

export const SERVER_PEER = '11111111-1111-4111-8111-111111111111'
export const CLIENT_PEER = '22222222-2222-4222-8222-222222222222'
export const MANIFEST_HASH = 'c'.repeat(64)

export interface Identities {
  server: TlsIdentity
  client: TlsIdentity
  /** Pinned to nobody. */
  stranger: TlsIdentity
  cleanup(): Promise<void>
}

export async function makeIdentities(): Promise<Identities> {
  const dir = await makeTempDirOutsideTest('lanspread-bulk-')
  const [server, client, stranger] = await Promise.all(['server', 'client', 'stranger'].map((name) => loadOrCreateCertificate(path.join(dir, name))))
  return {server: server!, client: client!, stranger: stranger!, cleanup: () => fs.rm(dir, {recursive: true, force: true})}
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** GetChunk of `data.bin` answered from `data`; `missing` is not found; `boom` throws a plain Error. */
export function memoryHandler(data: Uint8Array, calls: Message[] = []): BulkRequestHandler {
  return async (request) => {
    calls.push(request)
    if (request.type !== 'GetChunk') throw new LanspreadError('invalid_input', `unexpected ${request.type}`)
    if (request.path === 'boom') throw new Error('/secret/local/path exploded')
    if (request.path !== 'data.bin') throw new LanspreadError('not_found', `no file ${request.path} in game ${request.id}`)
    const raw = data.subarray(request.offset, request.offset + request.length)
    return {reply: {type: 'ChunkHeader', hash: sha256Hex(raw), length: raw.length}, raw}
  }
}

export interface TestBulkServer {
  server: BulkTlsServer
  port: number
  calls: Message[]
  logs: string[]
}

export async function startBulkServer(
  ids: Identities,
  options: {data?: Uint8Array; handler?: BulkRequestHandler; identify?: IdentifyPeer; settings?: Partial<BulkTlsSettings>} = {},
): Promise<TestBulkServer> {
  const calls: Message[] = []
  const logs: string[] = []
  const server = new BulkTlsServer(
    {
      certificate: ids.server,
      identify: options.identify ?? ((fingerprint) => (fingerprint === ids.client.fingerprint ? CLIENT_PEER : undefined)),
      handler: options.handler ?? memoryHandler(options.data ?? new Uint8Array(0), calls),
      ...(options.settings === undefined ? {} : {settings: options.settings}),
    },
    {log: (level, message) => logs.push(`${level}: ${message}`)},
  )
  onTestFinished(() => server.stop())
  const {port} = await server.start({host: '127.0.0.1', port: 0})
  return {server, port, calls, logs}
}

/** A TLS socket to the server, handshake done; destroyed after the test. */
export async function rawTlsClient(port: number, options: {identity?: TlsIdentity; alpn?: boolean} = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    ...(options.identity ? {cert: options.identity.certPem, key: options.identity.keyPem} : {}),
    ...(options.alpn === false ? {} : {ALPNProtocols: [BULK_ALPN]}),
  })
  socket.on('error', () => undefined)
  onTestFinished(() => {
    socket.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve)
    socket.once('close', () => reject(new Error('closed during the handshake')))
  })
  return socket
}

/** Everything the socket receives until it closes (bounded by `ms`), and whether it closed. */
export async function readUntilClosed(socket: tls.TLSSocket, ms: number): Promise<{bytes: Buffer; closed: boolean}> {
  const pieces: Buffer[] = []
  socket.on('data', (piece: Buffer) => pieces.push(piece))
  const closed = await new Promise<boolean>((resolve) => {
    if (socket.closed) return resolve(true)
    const timer = setTimeout(() => resolve(false), ms)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
  return {bytes: Buffer.concat(pieces), closed}
}

/** The JSON bodies of the frames in `bytes` (whole frames only). */
export function framesIn(bytes: Buffer): unknown[] {
  const frames: unknown[] = []
  let offset = 0
  while (offset + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(offset)
    if (offset + 4 + length > bytes.length) break
    frames.push(JSON.parse(bytes.subarray(offset + 4, offset + 4 + length).toString('utf8')))
    offset += 4 + length
  }
  return frames
}
