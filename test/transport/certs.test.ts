import {X509Certificate} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {CERT_FILE_NAME, KEY_FILE_NAME, certificateFingerprint, loadOrCreateCertificate} from '../../src/transport/certs.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('TLS identity', () => {
  it('creates a P-256 self-signed certificate once, with a private key file and folder', async () => {
    const tlsDir = path.join(await makeTempDir(), 'state', 'tls')
    const first = await loadOrCreateCertificate(tlsDir)
    const cert = new X509Certificate(first.certPem)
    expect(cert.subject).toBe('CN=lanspread')
    expect(cert.issuer).toBe('CN=lanspread')
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(cert.verify(cert.publicKey)).toBe(true)
    expect(new Date(cert.validTo).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 20)
    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(first.fingerprint).toBe(cert.fingerprint256.replaceAll(':', '').toLowerCase())

    expect((await fs.stat(path.join(tlsDir, KEY_FILE_NAME))).mode & 0o777).toBe(0o600)
    expect((await fs.stat(tlsDir)).mode & 0o777).toBe(0o700)
    const second = await loadOrCreateCertificate(tlsDir)
    expect(second).toEqual(first)
  })

  it('agrees on one certificate when many callers race to create it', async () => {
    const stateDir = await makeTempDir()
    const tlsDir = path.join(stateDir, 'tls')
    const all = await Promise.all(Array.from({length: 8}, () => loadOrCreateCertificate(tlsDir)))
    expect(new Set(all.map((c) => c.fingerprint)).size).toBe(1)
    expect(await fs.readdir(stateDir)).toEqual(['tls'])
  })

  it('fills a tls folder that exists but is empty', async () => {
    const tlsDir = path.join(await makeTempDir(), 'tls')
    await fs.mkdir(tlsDir)
    const created = await loadOrCreateCertificate(tlsDir)
    expect((await loadOrCreateCertificate(tlsDir)).fingerprint).toBe(created.fingerprint)
  })

  it('refuses a broken key file with an error that names it, and leaves it alone', async () => {
    const tlsDir = path.join(await makeTempDir(), 'tls')
    await loadOrCreateCertificate(tlsDir)
    const keyPath = path.join(tlsDir, KEY_FILE_NAME)
    await fs.writeFile(keyPath, 'garbage')
    await expect(loadOrCreateCertificate(tlsDir)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(keyPath),
      hint: expect.stringContaining('delete that folder'),
    })
    expect(await fs.readFile(keyPath, 'utf8')).toBe('garbage')
  })

  it('refuses a broken certificate, a missing half and a key of another certificate', async () => {
    const root = await makeTempDir()
    const tlsDir = path.join(root, 'tls')
    const certPath = path.join(tlsDir, CERT_FILE_NAME)
    const keyPath = path.join(tlsDir, KEY_FILE_NAME)
    await loadOrCreateCertificate(tlsDir)

    const goodCert = await fs.readFile(certPath, 'utf8')
    await fs.writeFile(certPath, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    await expect(loadOrCreateCertificate(tlsDir)).rejects.toMatchObject({code: 'invalid_input', message: expect.stringContaining(certPath)})

    const other = await loadOrCreateCertificate(path.join(root, 'other'))
    await fs.writeFile(certPath, other.certPem)
    await expect(loadOrCreateCertificate(tlsDir)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('not the key of'),
    })

    await fs.writeFile(certPath, goodCert)
    await fs.rm(keyPath)
    await expect(loadOrCreateCertificate(tlsDir)).rejects.toMatchObject({code: 'invalid_input', message: expect.stringContaining(keyPath)})
  })

  it('fingerprints DER and PEM alike', async () => {
    const identity = await loadOrCreateCertificate(path.join(await makeTempDir(), 'tls'))
    const der = new X509Certificate(identity.certPem).raw
    expect(certificateFingerprint(der)).toBe(identity.fingerprint)
    expect(certificateFingerprint(identity.certPem)).toBe(identity.fingerprint)
  })
})
