// BLAKE3 of downloaded chunks on worker threads, so verifying one chunk does not hold up the
// event loop that decrypts the next (bench:fetch: the loop is busy ~90% of each second of a fetch).
// Chunks in shared memory (the page-aligned pool) are hashed in place; others are copied over.
import {createRequire} from 'node:module'
import {Worker} from 'node:worker_threads'
import {LanspreadError} from '../errors.js'
import {blake3Backend} from '../library/blake3.js'

/** The worker's code: CommonJS run with `eval`, so the same text works under vitest and from dist/. */
const WORKER_SOURCE = `
const {parentPort, workerData} = require('node:worker_threads')
const {blake3} = require(workerData.module)
parentPort.on('message', ({id, bytes}) => {
  try {
    parentPort.postMessage({id, hash: blake3(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex')})
  } catch (error) {
    parentPort.postMessage({id, error: String(error && error.message || error)})
  }
})
`

interface Pending {
  resolve(hash: string): void
  reject(error: unknown): void
}

interface Slot {
  worker: Worker
  pending: Map<number, Pending>
}

type Reply = {id: number; hash: string} | {id: number; error: string}

export interface HashWorkersOptions {
  /** Worker threads (default 1: the main thread is busy with TLS, a second core takes the hashing). */
  size?: number
  /** The native BLAKE3 package's entry (resolved from here by default). */
  module?: string
  /** The worker's code (tests give one that crashes). */
  source?: string
}

/** The native package's entry, or undefined where it does not load (then hashing stays on the loop). */
export function nativeBlake3Module(): string | undefined {
  try {
    const require = createRequire(import.meta.url)
    const entry = require.resolve('@napi-rs/blake-hash')
    require(entry)
    return entry
  } catch {
    return undefined
  }
}

export class HashWorkers {
  private readonly slots: (Slot | undefined)[]
  private nextId = 0
  private closed = false

  constructor(private readonly options: HashWorkersOptions & {module: string}) {
    this.slots = Array.from({length: Math.max(1, options.size ?? 1)}, () => undefined)
  }

  /** BLAKE3 (hex) of `bytes`; they must not change until the promise settles. */
  hash(bytes: Uint8Array): Promise<string> {
    if (this.closed)
      return Promise.reject(new LanspreadError('internal', 'the BLAKE3 worker threads are closed', {hint: 'this is a bug in lanspread: please report it'}))
    const slot = this.leastBusy()
    const id = this.nextId++
    return new Promise<string>((resolve, reject) => {
      slot.pending.set(id, {resolve, reject})
      if (slot.pending.size === 1) slot.worker.ref()
      // Shared memory goes as it is; anything else as a copy of just these bytes, moved (not cloned
      // again, and not the whole buffer a view may lie in).
      if (bytes.buffer instanceof SharedArrayBuffer) slot.worker.postMessage({id, bytes})
      else {
        const copy = new Uint8Array(bytes)
        slot.worker.postMessage({id, bytes: copy}, [copy.buffer])
      }
    })
  }

  /** Stops every worker; hashes still pending fail. */
  async close(): Promise<void> {
    this.closed = true
    const slots = this.slots.splice(0).filter((slot) => slot !== undefined)
    for (const slot of slots) this.failPending(slot, 'was closed')
    await Promise.all(slots.map((slot) => slot.worker.terminate()))
  }

  private leastBusy(): Slot {
    let best = 0
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]
      if (!slot) return (this.slots[i] = this.start(i))
      if (slot.pending.size < this.slots[best]!.pending.size) best = i
    }
    return this.slots[best]!
  }

  private start(index: number): Slot {
    // No inherited node flags: the code is CommonJS whatever --input-type or --import the process runs with.
    const worker = new Worker(this.options.source ?? WORKER_SOURCE, {eval: true, execArgv: [], workerData: {module: this.options.module}})
    const slot: Slot = {worker, pending: new Map()}
    worker.unref() // idle workers never keep the process alive
    worker.on('message', (reply: Reply) => this.settle(slot, reply))
    // A crashed worker fails its own chunks (clearly, the download reports it); the next hash starts a fresh one.
    const lost = (why: string) => {
      if (this.slots[index] === slot) this.slots[index] = undefined
      this.failPending(slot, why)
    }
    worker.on('error', (error) => lost(`failed: ${error.message}`))
    worker.on('exit', (code) => lost(`exited with code ${code}`))
    return slot
  }

  private settle(slot: Slot, reply: Reply): void {
    const pending = slot.pending.get(reply.id)
    if (!pending) return
    slot.pending.delete(reply.id)
    if (slot.pending.size === 0) slot.worker.unref()
    if ('hash' in reply) pending.resolve(reply.hash)
    else
      pending.reject(
        new LanspreadError('internal', `BLAKE3 failed in its worker thread: ${reply.error}`, {
          hint: 'run the fetch again; if it repeats, set LANSPREAD_HASH_WORKERS=0 to hash on the main thread',
        }),
      )
  }

  private failPending(slot: Slot, why: string): void {
    for (const pending of slot.pending.values()) {
      pending.reject(
        new LanspreadError('internal', `the BLAKE3 worker thread ${why} while verifying a downloaded chunk`, {
          hint: 'run the fetch again (the chunks already written are kept); if it repeats, set LANSPREAD_HASH_WORKERS=0 to hash on the main thread',
        }),
      )
    }
    slot.pending.clear()
  }
}

/**
 * Bytes of shared-memory chunks a download hashes on the event loop before it hands them to its
 * worker (record 0045). Starting a worker thread costs ~35 ms of CPU (a fresh isolate, the native
 * module loaded), as much as native BLAKE3 spends on ~200 MiB (0.17 ms per MiB); twelve fetchers
 * of one swarm on two cores paid it twelve times over, at the swarm's busiest moment. A download
 * smaller than this never starts one; a fetch at disk speed hands over within its first second.
 */
export const WORKER_AFTER_BYTES = 256 * 1024 * 1024

/**
 * Where a chunk is hashed: a chunk in shared memory (the page-aligned pool of the bulk data
 * plane) on the worker, in place, once the download hashed `workerAfterBytes` of them on the
 * loop; any other (a QUIC reply) on the event loop. A copy to the worker costs as much memory as
 * the worker saves time, and QUIC brings a few MB/s, which BLAKE3 hashes in a fraction of a
 * percent of a core (bench:fetch: the QUIC fetch's peak RSS 267 MB with the copies, 222 MB without).
 */
export function chunkHasher(
  workers: Pick<HashWorkers, 'hash'> | undefined,
  onLoop: (bytes: Uint8Array) => Promise<string>,
  workerAfterBytes = WORKER_AFTER_BYTES,
): (bytes: Uint8Array) => Promise<string> {
  if (!workers) return onLoop
  let hashedOnLoop = 0
  return (bytes) => {
    if (!(bytes.buffer instanceof SharedArrayBuffer)) return onLoop(bytes)
    if (hashedOnLoop >= workerAfterBytes) return workers.hash(bytes)
    hashedOnLoop += bytes.byteLength
    return onLoop(bytes)
  }
}

/** Worker hashing is on unless LANSPREAD_HASH_WORKERS=0, and only with the native BLAKE3 (the worker loads it by name). */
export function hashWorkersAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LANSPREAD_HASH_WORKERS?.trim() !== '0'
}

/** The downloader's pool: one worker (started by its first hash), when allowed and the backend in use is the native one; else undefined (hash on the loop). */
export function downloadHashWorkers(env: NodeJS.ProcessEnv = process.env): HashWorkers | undefined {
  if (!hashWorkersAllowed(env) || blake3Backend() !== 'native') return undefined
  const module = nativeBlake3Module()
  return module === undefined ? undefined : new HashWorkers({module})
}
