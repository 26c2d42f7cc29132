// bench:hash — content hashing throughput through hashFile with the native and the wasm
// BLAKE3 backend in one run (~512 MiB of files, page-cached), plus the pre-v2 loop for reference.
import {createHash} from 'blake3-wasm'
import {randomFillSync} from 'node:crypto'
import {createReadStream} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {CHUNK_SIZE} from '../src/config.js'
import {blake3Backend, loadNativeBackend} from '../src/library/blake3.js'
import {hashFile} from '../src/library/content-hashes.js'
import type {ManifestFile} from '../src/library/manifest.js'

const TOTAL_MIB = Number(process.env.BENCH_HASH_MIB ?? 512)
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
    for (let offset = 0; offset < piece.length; ) {
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

/** Runs every variant once per round, interleaved (a busy machine then slows all alike), keeping each one's best time. */
async function bestMbPerSecond(bytes: number, variants: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const best: Record<string, number> = {}
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const started = performance.now()
      await run()
      best[name] = Math.min(best[name] ?? Infinity, performance.now() - started)
    }
  }
  return Object.fromEntries(Object.entries(best).map(([name, ms]) => [name, bytes / 1e6 / (ms / 1000)]))
}

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
    const throughHashFile = (mode: string) => async () => {
      process.env.LANSPREAD_BLAKE3 = mode
      for (const file of files) await hashFile(path.join(dir, file.path), file, CHUNK_SIZE)
    }
    await throughHashFile('wasm')() // warm the page cache and both code paths
    const hasNative = nativeLoads()
    const mbps = await bestMbPerSecond(bytes, {
      ...(hasNative ? {native: throughHashFile('native')} : {}),
      wasm: throughHashFile('wasm'),
      old: async () => {
        for (const file of files) await oldLoop(path.join(dir, file.path))
      },
    })
    const {wasm, old} = mbps as {wasm: number; old: number}
    const native = mbps.native ?? null
    delete process.env.LANSPREAD_BLAKE3

    console.log(`${files.length} files, ${(bytes / 1e6).toFixed(0)} MB, page-cached; best of ${ROUNDS} rounds; 10 GbE ≈ 1,250 MB/s`)
    console.log(`hashFile, native BLAKE3: ${native === null ? `unavailable on ${process.platform}-${process.arch}` : `${native.toFixed(0)} MB/s`}`)
    console.log(`hashFile, wasm BLAKE3:   ${wasm.toFixed(0)} MB/s`)
    console.log(`old loop (wasm, each byte hashed twice, 1 MiB stream pieces): ${old.toFixed(0)} MB/s`)
    if (native !== null) console.log(`native / wasm: ${(native / wasm).toFixed(2)}×   native / old loop: ${(native / old).toFixed(2)}×`)
    console.log(`wasm / old loop: ${(wasm / old).toFixed(2)}×   default backend here: ${blake3Backend()}`)
  } finally {
    await fs.rm(dir, {recursive: true, force: true})
  }
}

await main()
