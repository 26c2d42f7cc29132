// Transport endpoints for tests (QUIC, or the portable HTTP/2 one): each with its own
// certificate in a temp folder, bound to 127.0.0.1, its warnings collected, stopped after the test.
import fs from 'node:fs/promises'
import path from 'node:path'
import {onTestFinished} from 'vitest'
import type {ByteStream, Endpoint, PeerConnection, TransportName, TransportSettings} from '../../src/transport/endpoint.js'
import {PortableEndpoint} from '../../src/transport/portable.js'
import {type TlsIdentity, loadOrCreateCertificate} from '../../src/transport/certs.js'
import {QuicEndpoint} from '../../src/transport/quic.js'
import {makeTempDir} from './temp-library.js'

export interface TestEndpoint {
  endpoint: QuicEndpoint
  identity: TlsIdentity
  port: number
  logs: string[]
}

export async function startEndpoint(settings: Partial<TransportSettings> = {}): Promise<TestEndpoint> {
  return started((identity, log) => new QuicEndpoint({certificate: identity, settings}, {log}))
}

export interface AnyTestEndpoint {
  endpoint: Endpoint
  identity: TlsIdentity
  port: number
  logs: string[]
}

/** An endpoint of either transport, for the tests every transport must pass (the contract suite). */
export async function startEndpointOf(kind: TransportName, settings: Partial<TransportSettings> = {}): Promise<AnyTestEndpoint> {
  if (kind === 'quic') return startEndpoint(settings)
  return started((identity, log) => new PortableEndpoint({certificate: identity, settings}, {log}))
}

/** Makes an endpoint with a fresh identity and a log the test can read, listening on loopback; stopped after the test. */
async function started<E extends Endpoint>(
  make: (identity: TlsIdentity, log: (level: string, message: string) => void) => E,
): Promise<{endpoint: E; identity: TlsIdentity; port: number; logs: string[]}> {
  const identity = await loadOrCreateCertificate(path.join(await makeTempDir(), 'tls'))
  const logs: string[] = []
  const endpoint = make(identity, (level, message) => logs.push(`${level}: ${message}`))
  onTestFinished(() => endpoint.stop())
  const {port} = await endpoint.start({host: '127.0.0.1', port: 0})
  return {endpoint, identity, port, logs}
}

/** A stream handler that reads the whole request and answers it back after `prefix`. */
export function echoHandler(prefix = ''): (stream: ByteStream) => Promise<void> {
  return async (stream) => {
    const chunks: Uint8Array[] = [Buffer.from(prefix)]
    for await (const chunk of stream.readable) chunks.push(chunk)
    const writer = stream.writable.getWriter()
    await writer.write(Buffer.concat(chunks))
    await writer.close()
  }
}

/** Local addresses of every UDP socket this process holds (from /proc, Linux only). */
export async function udpAddressesOfThisProcess(): Promise<string[]> {
  const inodes = new Set<string>()
  for (const fd of await fs.readdir('/proc/self/fd')) {
    const target = await fs.readlink(path.join('/proc/self/fd', fd)).catch(() => '')
    const match = /^socket:\[(\d+)\]$/.exec(target)
    if (match) inodes.add(match[1]!)
  }
  const addresses: string[] = []
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    const lines = (await fs.readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)
    for (const line of lines) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue
      addresses.push(decodeProcAddress(fields[1]!))
    }
  }
  return addresses
}

function decodeProcAddress(field: string): string {
  const [hex, portHex] = field.split(':') as [string, string]
  const port = parseInt(portHex, 16)
  if (hex.length === 8) {
    const bytes = Buffer.from(hex, 'hex').reverse()
    return `${[...bytes].join('.')}:${port}`
  }
  // IPv6: four 32-bit words, each in host (little-endian) order.
  const words = hex.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse().toString('hex'))
  const groups = words.join('').match(/.{4}/g)!
  return `[${groups.join(':')}]:${port}`
}

/** The next incoming connection of an endpoint. */
export function nextConnection(endpoint: {on(event: 'connection', l: (c: PeerConnection) => void): () => void}): Promise<PeerConnection> {
  return new Promise((resolve) => {
    const off = endpoint.on('connection', (c) => {
      off()
      resolve(c)
    })
  })
}
