import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it, onTestFinished} from 'vitest'
import {HashWorkers, WORKER_AFTER_BYTES, chunkHasher, downloadHashWorkers, hashWorkersAllowed, nativeBlake3Module} from '../../src/download/hash-workers.js'
import {LanspreadError} from '../../src/errors.js'
import {blake3Hex} from '../../src/library/blake3.js'
import {allocPageAligned} from '../../src/util/aligned-memory.js'

const native = nativeBlake3Module()
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

function pool(options: {size?: number; source?: string} = {}): HashWorkers {
  const workers = new HashWorkers({module: native!, ...options})
  onTestFinished(() => workers.close())
  return workers
}

describe.runIf(native !== undefined)('HashWorkers', () => {
  it('gives the digest the main thread computes, for chunks in shared memory (hashed in place) and plain ones', async () => {
    const workers = pool({size: 2})
    const shared = allocPageAligned(256 * 1024)
    for (let i = 0; i < shared.length; i++) shared[i] = (i * 31) & 0xff
    const plain = Buffer.from(shared)
    const inputs = [shared, shared.subarray(4096, 8192 + 3), plain, plain.subarray(7), Buffer.alloc(0)]
    const hashes = await Promise.all(inputs.map((bytes) => workers.hash(bytes)))
    expect(hashes).toEqual(inputs.map((bytes) => blake3Hex(bytes)))
    // A plain chunk is copied for the worker, never moved away from its owner.
    expect(plain.length).toBe(256 * 1024)
    expect(plain[5]).toBe((5 * 31) & 0xff)
  })

  it('fails the chunks of a worker that crashes with a clear error, and hashes the next ones in a fresh worker', async () => {
    // The real worker's code, except that a 1-byte chunk kills the thread mid-hash.
    const source = `
const {parentPort, workerData} = require('node:worker_threads')
const {blake3} = require(workerData.module)
parentPort.on('message', ({id, bytes}) => {
  if (bytes.byteLength === 1) process.exit(3)
  parentPort.postMessage({id, hash: blake3(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex')})
})`
    const workers = pool({source})
    const error = await workers.hash(Buffer.from('x')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LanspreadError)
    expect((error as LanspreadError).code).toBe('internal')
    expect((error as LanspreadError).message).toMatch(/BLAKE3 worker thread exited with code 3 while verifying a downloaded chunk/)
    expect(await workers.hash(Buffer.from('ok'))).toBe(blake3Hex('ok'))
  })

  it('reports an error thrown by the hash itself, and fails what is pending when closed', async () => {
    const source = `
const {parentPort} = require('node:worker_threads')
parentPort.on('message', ({id, bytes}) => {
  if (bytes.byteLength === 2) return parentPort.postMessage({id, error: 'bad input'})
})`
    const workers = pool({source})
    await expect(workers.hash(Buffer.from('ab'))).rejects.toThrow(/BLAKE3 failed in its worker thread: bad input/)
    const pending = workers.hash(Buffer.from('abc')).catch((e: unknown) => e) // never answered by this worker
    await workers.close()
    expect(await pending).toBeInstanceOf(LanspreadError)
    expect(String(await pending)).toMatch(/was closed/)
    await expect(workers.hash(Buffer.from('abc'))).rejects.toThrow(/closed/)
  })

  it('never keeps a process alive: one that hashed and did not close its pool exits, as does one that closed it', () => {
    for (const close of [false, true]) {
      const code = `
import {HashWorkers, nativeBlake3Module} from ${JSON.stringify(path.join(REPO, 'src/download/hash-workers.ts'))}
const workers = new HashWorkers({module: nativeBlake3Module()})
console.log(await workers.hash(Buffer.from('abc')))
${close ? 'await workers.close()' : ''}`
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {cwd: REPO, encoding: 'utf8', timeout: 30_000})
      expect(child.error).toBeUndefined()
      expect(child.status).toBe(0)
      expect(child.stdout.trim()).toBe(blake3Hex('abc'))
    }
  })

  it('is what the downloader uses unless LANSPREAD_HASH_WORKERS=0 (then the loop hashes)', async () => {
    expect(hashWorkersAllowed({LANSPREAD_HASH_WORKERS: '0'})).toBe(false)
    expect(downloadHashWorkers({LANSPREAD_HASH_WORKERS: '0'})).toBeUndefined()
    const workers = downloadHashWorkers({})
    expect(workers).toBeInstanceOf(HashWorkers)
    await workers?.close()
  })
})

describe('chunkHasher', () => {
  it('sends chunks in shared memory to the worker and hashes copies (QUIC replies) on the loop', async () => {
    const sent: string[] = []
    const workers = {hash: async () => (sent.push('worker'), 'w')}
    const onLoop = async () => (sent.push('loop'), 'l')
    const hash = chunkHasher(workers, onLoop, 0)
    expect(await hash(allocPageAligned(4096))).toBe('w')
    expect(await hash(Buffer.alloc(4096))).toBe('l')
    expect(await hash(new Uint8Array(16))).toBe('l')
    expect(sent).toEqual(['worker', 'loop', 'loop'])
    expect(chunkHasher(undefined, onLoop)).toBe(onLoop)
  })

  it('hashes the first workerAfterBytes of shared chunks on the loop, and only then starts using the worker', async () => {
    const sent: string[] = []
    const workers = {hash: async () => (sent.push('worker'), 'w')}
    const onLoop = async () => (sent.push('loop'), 'l')
    const hash = chunkHasher(workers, onLoop, 8192)
    const chunk = allocPageAligned(4096)
    for (let i = 0; i < 4; i++) await hash(chunk)
    // Copies never count towards the hand-over, and still go to the loop after it.
    await hash(Buffer.alloc(4096))
    expect(sent).toEqual(['loop', 'loop', 'worker', 'worker', 'loop'])
  })

  it('never starts a worker thread for a download smaller than WORKER_AFTER_BYTES', async () => {
    expect(WORKER_AFTER_BYTES).toBeGreaterThanOrEqual(128 * 1024 * 1024)
    let started = 0
    const workers = {
      hash: async () => {
        started++
        return 'w'
      },
    }
    const hash = chunkHasher(workers, async () => 'l')
    const chunk = allocPageAligned(1024 * 1024)
    for (let i = 0; i < 128; i++) expect(await hash(chunk)).toBe('l')
    expect(started).toBe(0)
  })
})
