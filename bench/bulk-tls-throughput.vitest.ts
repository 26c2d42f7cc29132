// A measurement, not a check: 512 MiB of 4 MiB chunks over bulk TLS from a server in another
// process (in-memory handler) on loopback, beside a bare node:tls stream. Run: npm run bench:bulk.
import path from 'node:path'
import tls from 'node:tls'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BulkTlsGameSource} from '../src/download/bulk-tls-game-source.js'
import {REPO_ROOT} from '../test/helpers/cli.js'
import {type Identities, MANIFEST_HASH, SERVER_PEER, makeIdentities} from '../test/helpers/bulk-tls.js'

const MiB = 1024 * 1024
const CHUNK = 4 * MiB
const TOTAL = 512 * MiB

let ids: Identities
beforeAll(async () => {
  ids = await makeIdentities()
})
afterAll(() => ids?.cleanup())

describe('bulk TLS throughput', () => {
  it('moves 512 MiB of 4 MiB chunks from another process', async () => {
    const {child, port, barePort, fingerprint} = await serveInChild(ids)
    try {
      const bareCpu = process.cpuUsage()
      const bareSeconds = await bareStream(barePort)
      const bareUsed = process.cpuUsage(bareCpu)
      const lines = [`bare node:tls stream: ${rate(bareSeconds)}; receiver CPU ${((bareUsed.user + bareUsed.system) / 1e6).toFixed(2)} s`]
      for (const connections of [1, 2, 4]) {
        const source = new BulkTlsGameSource({
          peerId: SERVER_PEER,
          host: '127.0.0.1',
          port,
          expectedFingerprint: fingerprint,
          certificate: ids.client,
          control: {getGame: async () => 'not_modified'},
          maxConnections: connections,
        })
        const cpu = process.cpuUsage()
        const started = process.hrtime.bigint()
        let next = 0
        let received = 0
        const worker = async (): Promise<void> => {
          while (next < TOTAL / CHUNK) {
            const offset = next++ * CHUNK
            const {bytes} = await source.getChunk({id: 'bench', manifest_hash: MANIFEST_HASH, path: 'data.bin', offset, length: CHUNK})
            received += bytes.length
          }
        }
        await Promise.all(Array.from({length: connections}, worker))
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        const used = process.cpuUsage(cpu)
        await source.close()
        expect(received).toBe(TOTAL)
        lines.push(`bulk TLS, ${connections} connection(s): ${rate(seconds)}; receiver CPU ${((used.user + used.system) / 1e6).toFixed(2)} s`)
      }
      console.log(`512 MiB, two processes on loopback:\n  ${lines.join('\n  ')}`)
    } finally {
      child.kill('SIGKILL')
      await child.catch(() => undefined)
    }
  }, 300_000)
})

function rate(seconds: number): string {
  return `${(TOTAL / seconds / 1e6).toFixed(0)} MB/s (${seconds.toFixed(2)} s)`
}

/** Seconds to receive TOTAL bytes the child writes, 4 MiB at a time, on a plain TLS connection. */
async function bareStream(port: number): Promise<number> {
  const socket = tls.connect({host: '127.0.0.1', port, rejectUnauthorized: false})
  const started = process.hrtime.bigint()
  let received = 0
  for await (const piece of socket) received += (piece as Buffer).length
  expect(received).toBe(TOTAL)
  return Number(process.hrtime.bigint() - started) / 1e9
}

async function serveInChild(identities: Identities) {
  const src = (file: string) => JSON.stringify(path.join(REPO_ROOT, 'src/transport', file))
  const script = `
    import tls from 'node:tls'
    const {BulkTlsServer} = await import(${src('bulk-tls-server.ts')})
    const identity = {certPem: process.env.BENCH_CERT, keyPem: process.env.BENCH_KEY}
    const chunk = (await import('node:crypto')).randomBytes(${CHUNK})
    const header = {type: 'ChunkHeader', hash: 'e'.repeat(64), length: ${CHUNK}}
    const server = new BulkTlsServer({
      certificate: identity,
      identify: (fingerprint) => (fingerprint === process.env.BENCH_CLIENT ? 'bench-client' : undefined),
      handler: async () => ({reply: header, raw: chunk}),
    })
    const {port} = await server.start({host: '127.0.0.1', port: 0})
    const bare = tls.createServer({cert: identity.certPem, key: identity.keyPem}, async (socket) => {
      for (let sent = 0; sent < ${TOTAL}; sent += ${CHUNK}) {
        if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve))
      }
      socket.end()
    })
    await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve))
    console.log(JSON.stringify({port, barePort: bare.address().port}))`
  const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
    reject: false,
    timeout: 320_000,
    env: {BENCH_CERT: identities.server.certPem, BENCH_KEY: identities.server.keyPem, BENCH_CLIENT: identities.client.fingerprint},
    cleanup: true,
  })
  const ready = await new Promise<{port: number; barePort: number}>((resolve, reject) => {
    child.stdout!.once('data', (data) => resolve(JSON.parse(String(data).trim()) as {port: number; barePort: number}))
    void child.then((r) => reject(new Error(`the server exited: ${r.stderr}`)))
  })
  // Wrapped: an execa child is a thenable, and returning it from an async function would wait for its exit.
  return {child, ...ready, fingerprint: identities.server.fingerprint}
}
