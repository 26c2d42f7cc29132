// bench:hash — content hashing throughput through hashFile with the native and the wasm
// BLAKE3 backend in one run (~512 MiB of files, page-cached), plus the pre-v2 loop for reference.
import {createHash} from 'blake3-wasm'
import {randomFillSync} from 'node:crypto'
import {createReadStream} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {chunkSizeFor} from '../src/library/chunk-size.js'
import {blake3Backend, loadNativeBackend} from '../src/library/blake3.js'
import {hashFile} from '../src/library/content-hashes.js'
import type {ManifestFile} from '../src/library/manifest.js'

const TOTAL_MIB = Number(process.env.BENCH_HASH_MIB ?? 512)
// The chunk size a game of this size gets (library/chunk-size.ts).
const CHUNK_SIZE = chunkSizeFor(TOTAL_MIB * 1024 * 1024)
const ROUNDS = Number(process.env.BENCH_HASH_ROUNDS ?? 5)
/** Mostly large archives, plus small files so per-file costs show too. */
const SMALL_FILES = 64
const SMALL_SIZE = 64 * 1024

async function buildFiles(dir: string): Promise<ManifestFile[]> {
  const block = Buffer.allocUnsafe(CHUNK_SIZE)
  const largeBytes = TOTAL_MIB * 1024 * 1024 - SMALL_FILES * SMALL_SIZE
  const sizes = [0.4, 0.3, 0.2, 0.1].map((share) => Math.floor(largeBytes * share) + 12_345)
  sizes.push(...Array.from({length: SMALL_FILES}, () => SMALL_SIZE))
  const files: ManifestFile[] = []
  for (const [i, size] of sizes.entries()) {
    const name = `file-${i}.bin`
    const handle = await fs.open(path.join(dir, name), 'w')
    for (let written = 0; written < size; written += block.length) {
      randomFillSync(block)
      await handle.write(block, 0, Math.min(block.length, size - written))
    }
    await handle.close()
    const stat = await fs.stat(path.join(dir, name))
    files.push({path: name, size: stat.size, mtime_ms: stat.mtimeMs})
  }
  return files
}

/** The loop before hash form 2: 1 MiB stream pieces, each byte hashed twice (file and chunk). */
async function oldLoop(file: string): Promise<string> {
  const whole = createHash()
  let chunk = createHash()
  let inChunk = 0
  for await (const piece of createReadStream(file, {highWaterMark: 1024 * 1024}) as AsyncIterable<Buffer>) {
    whole.update(piece)
    for (let offset = 0; offset < piece.length;) {
      const take = Math.min(CHUNK_SIZE - inChunk, piece.length - offset)
      chunk.update(piece.subarray(offset, offset + take))
      inChunk += take
      offset += take
      if (inChunk === CHUNK_SIZE) {
        chunk.digest('hex')
        chunk = createHash()
        inChunk = 0
      }
    }
  }
  chunk.digest('hex')
  return whole.digest('hex')
}

interface Throughput {
  /** MB per wall-clock second. */
  wall: number
  /** MB per second of this process's CPU time (user + system): steadier on a shared machine. */
  cpu: number
}

/** Runs every variant once per round, interleaved (a busy machine then slows all alike), keeping each one's best times. */
async function bestThroughput(bytes: number, variants: Record<string, () => Promise<unknown>>): Promise<Record<string, Throughput>> {
  const best: Record<string, {wallMs: number; cpuMs: number}> = {}
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const started = performance.now()
      const cpuBefore = process.cpuUsage()
      await run()
      const cpu = process.cpuUsage(cpuBefore)
      const previous = best[name] ?? {wallMs: Infinity, cpuMs: Infinity}
      best[name] = {wallMs: Math.min(previous.wallMs, performance.now() - started), cpuMs: Math.min(previous.cpuMs, (cpu.user + cpu.system) / 1000)}
    }
  }
  const rate = (ms: number): number => bytes / 1e6 / (ms / 1000)
  return Object.fromEntries(Object.entries(best).map(([name, {wallMs, cpuMs}]) => [name, {wall: rate(wallMs), cpu: rate(cpuMs)}]))
}

const show = (t: Throughput): string => `${t.wall.toFixed(0)} MB/s (${t.cpu.toFixed(0)} MB per CPU-second)`
const ratio = (a: Throughput, b: Throughput): string => `${(a.wall / b.wall).toFixed(2)}× (CPU: ${(a.cpu / b.cpu).toFixed(2)}×)`

function nativeLoads(): boolean {
  try {
    loadNativeBackend()
    return true
  } catch {
    return false
  }
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-hash-'))
  try {
    process.stderr.write(`writing ${TOTAL_MIB} MiB of files in ${dir}…\n`)
    const files = await buildFiles(dir)
    const bytes = files.reduce((sum, file) => sum + file.size, 0)
    const userMode = process.env.LANSPREAD_BLAKE3
    const throughHashFile = (mode: string) => async () => {
      process.env.LANSPREAD_BLAKE3 = mode
      for (const file of files) await hashFile(path.join(dir, file.path), file, CHUNK_SIZE)
    }
    await throughHashFile('wasm')() // warm the page cache and both code paths
    const hasNative = nativeLoads()
    const results = await bestThroughput(bytes, {
      ...(hasNative ? {native: throughHashFile('native')} : {}),
      wasm: throughHashFile('wasm'),
      old: async () => {
        for (const file of files) await oldLoop(path.join(dir, file.path))
      },
    })
    if (userMode === undefined) delete process.env.LANSPREAD_BLAKE3
    else process.env.LANSPREAD_BLAKE3 = userMode
    const {wasm, old} = results as {wasm: Throughput; old: Throughput}
    const native = results.native

    console.log(`${files.length} files, ${(bytes / 1e6).toFixed(0)} MB, page-cached; best of ${ROUNDS} rounds; 10 GbE ≈ 1,250 MB/s`)
    console.log(`hashFile, native BLAKE3: ${native === undefined ? `unavailable on ${process.platform}-${process.arch}` : show(native)}`)
    console.log(`hashFile, wasm BLAKE3:   ${show(wasm)}`)
    console.log(`old loop (wasm, each byte hashed twice, 1 MiB stream pieces): ${show(old)}`)
    if (native !== undefined) console.log(`native / wasm: ${ratio(native, wasm)}   native / old loop: ${ratio(native, old)}`)
    console.log(`wasm / old loop: ${ratio(wasm, old)}   default backend here: ${blake3Backend()}`)
  } finally {
    await fs.rm(dir, {recursive: true, force: true})
  }
}

await main()
