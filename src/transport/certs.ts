// This peer's TLS identity: a self-signed P-256 certificate and its key in <state>/tls/, made
// once in pure Node and shared by QUIC and bulk TLS; its SHA-256 fingerprint is what peers pin.
import {X509Certificate, createHash, createPrivateKey, randomBytes, randomUUID, type KeyObject} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type {TLSSocket} from 'node:tls'
import {LanspreadError, errnoCode, errorMessage, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'

export const CERT_FILE_NAME = 'cert.pem'
export const KEY_FILE_NAME = 'key.pem'
export const CERT_COMMON_NAME = 'lanspread'
const VALIDITY_YEARS = 50

export interface TlsIdentity {
  certPem: string
  keyPem: string
  /** SHA-256 of the certificate's DER, lowercase hex. */
  fingerprint: string
}

/** SHA-256 (lowercase hex) of a certificate given as DER bytes or PEM text. */
export function certificateFingerprint(derOrPem: Uint8Array | string): string {
  const der = typeof derOrPem === 'string' ? new X509Certificate(derOrPem).raw : derOrPem
  return createHash('sha256').update(der).digest('hex')
}

/**
 * The fingerprint of the certificate a TLS socket's other end presented in the handshake, or
 * undefined when it sent none. Only the leaf is read: the detailed form walks the issuer chain
 * into objects (~0.2 ms a connection, and a swarm member opens some twenty at its busiest moment).
 */
export function peerFingerprint(socket: TLSSocket): string | undefined {
  const raw = (socket.getPeerCertificate(false) as {raw?: Buffer}).raw
  return raw === undefined || raw.length === 0 ? undefined : certificateFingerprint(raw)
}

export async function loadOrCreateCertificate(tlsDir: string): Promise<TlsIdentity> {
  const existing = await readIdentity(tlsDir)
  if (existing) return existing
  await createIdentity(tlsDir)
  const created = await readIdentity(tlsDir)
  if (!created) throw new LanspreadError('internal', `${tlsDir} is empty right after it was created`)
  return created
}

async function readIdentity(tlsDir: string): Promise<TlsIdentity | undefined> {
  const certPath = path.join(tlsDir, CERT_FILE_NAME)
  const keyPath = path.join(tlsDir, KEY_FILE_NAME)
  const [certPem, keyPem] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)])
  if (certPem === undefined && keyPem === undefined) return undefined
  if (certPem === undefined) throw brokenFile(certPath, 'it is missing while the key exists')
  if (keyPem === undefined) throw brokenFile(keyPath, 'it is missing while the certificate exists')
  const cert = parseCertificate(certPath, certPem)
  const key = parseKey(keyPath, keyPem)
  if (!cert.checkPrivateKey(key)) throw brokenFile(keyPath, `it is not the key of ${certPath}`)
  return {certPem, keyPem, fingerprint: certificateFingerprint(cert.raw)}
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw ioError('read', file, error)
  }
}

function parseCertificate(file: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (error) {
    throw brokenFile(file, `not a PEM certificate (${errorMessage(error)})`)
  }
}

function parseKey(file: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (error) {
    throw brokenFile(file, `not a PEM private key (${errorMessage(error)})`)
  }
}

function brokenFile(file: string, reason: string): LanspreadError {
  return new LanspreadError('invalid_input', `TLS identity file ${file} is invalid: ${reason}`, {
    hint: `restore ${path.dirname(file)} from a backup, or delete that folder to make a new certificate (peers that pinned the old one will refuse this peer until they forget it)`,
  })
}

/**
 * Writes both files into a private temp folder and renames it onto <state>/tls: the pair
 * appears at once, and when another process got there first the rename fails and theirs wins.
 */
async function createIdentity(tlsDir: string): Promise<void> {
  const {certPem, keyPem} = await generateSelfSigned()
  const temp = `${tlsDir}.${process.pid}.${randomUUID()}.tmp`
  try {
    await fs.mkdir(path.dirname(tlsDir), {recursive: true})
    await fs.mkdir(temp, {mode: 0o700})
    await fs.chmod(temp, 0o700)
    await fs.writeFile(path.join(temp, KEY_FILE_NAME), keyPem, {mode: 0o600, flush: true})
    await fs.writeFile(path.join(temp, CERT_FILE_NAME), certPem, {mode: 0o644, flush: true})
    await fsyncPath(temp)
    await fs.rename(temp, tlsDir).catch((error: unknown) => {
      if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes(errnoCode(error) ?? '')) throw error
    })
    await fsyncPath(path.dirname(tlsDir))
  } catch (error) {
    throw ioError('create', tlsDir, error)
  } finally {
    await fs.rm(temp, {recursive: true, force: true})
  }
}

async function generateSelfSigned(): Promise<{certPem: string; keyPem: string}> {
  // @peculiar/x509 2.x throws at import unless reflect-metadata is loaded first; both load
  // only here, so a peer that already has its certificate never pays for them.
  await import('reflect-metadata')
  const x509 = await import('@peculiar/x509')
  const {webcrypto} = await import('node:crypto')
  const algorithm = {name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256'}
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=${CERT_COMMON_NAME}`,
      notBefore: new Date(now - 24 * 3600 * 1000),
      notAfter: new Date(now + VALIDITY_YEARS * 365 * 24 * 3600 * 1000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    },
    webcrypto,
  )
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  return {certPem: cert.toString('pem') + '\n', keyPem: toPem('PRIVATE KEY', pkcs8)}
}

/** A positive 64-bit serial (the top bit cleared so DER does not read it as negative). */
function randomSerial(): string {
  const bytes = randomBytes(8)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString('hex')
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
