// bench:scan — on a synthetic library (20 files a game; 1,000 and 5,000 games by default):
// cold against warm scan measured in one process (target, issue 2: warm ≤ 10% of cold), then
// a warm `lanspread scan` from a fresh process against its floor (target, issue 9: ≤ 1.5×),
// and the bytes a scan writes to the state folder after a one-game change and after none.
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {resolvePaths} from '../src/config.js'
import {Library} from '../src/library/library.js'

const SIZES = (process.env.BENCH_GAMES ?? '1000,5000').split(',').map(Number)
const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
/** BENCH_CLI=…/bin/run.js times another build of lanspread (e.g. the commit before a change). */
const RUN_JS = path.resolve(process.env.BENCH_CLI ?? path.join(ROOT, 'bin/run.js'))
const FLOOR = path.join(ROOT, 'bench/scan-floor.mjs')
const CPU_REPORT = path.join(ROOT, 'bench/cpu-report.mjs')

/** 20 files a game: the sentinel, two archives at the root, the rest in nested folders. */
const LAYOUT = [
  'version.ini',
  'game.eti',
  'patch.eti',
  ...Array.from({length: 6}, (_, i) => `data/pak${i}.pk3`),
  ...Array.from({length: 6}, (_, i) => `data/maps/map${i}.bsp`),
  ...Array.from({length: 3}, (_, i) => `docs/manual${i}.txt`),
  'redist/setup.exe',
  'readme.txt',
]

function buildLibrary(gamesDir: string, games: number): void {
  const catalog = []
  for (let g = 0; g < games; g++) {
    const id = gameId(g)
    catalog.push({id, name: `Game ${g}`})
    for (const dir of ['data/maps', 'docs', 'redist']) mkdirSync(path.join(gamesDir, id, dir), {recursive: true})
    LAYOUT.forEach((file, i) => writeFileSync(path.join(gamesDir, id, file), file === 'version.ini' ? '1.0\n' : 'x'.repeat(64 + i)))
  }
  writeFileSync(path.join(gamesDir, 'catalog.json'), JSON.stringify(catalog))
}

function gameId(g: number): string {
  return `game-${String(g).padStart(5, '0')}`
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  const result = await work()
  return [performance.now() - started, result]
}

interface Sample {
  wallMs: number
  cpuMs: number
}

/**
 * Runs `node args…` in a fresh process, stdout discarded. CPU is the child's own user +
 * system time, reported by a preloaded module at exit (portable, unlike /usr/bin/time);
 * wall is measured here, around the spawn.
 */
function runFresh(args: readonly string[], cpuFile: string): Sample {
  rmSync(cpuFile, {force: true})
  const started = performance.now()
  const child = spawnSync(process.execPath, ['--import', CPU_REPORT, ...args], {
    env: {...process.env, BENCH_CPU_FILE: cpuFile},
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} failed (${child.status}): ${child.stderr}`)
  return {wallMs, cpuMs: Number(readFileSync(cpuFile, 'utf8').trim())}
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** inode:size:mtime of every file under the state folder. */
async function stateFiles(dir: string): Promise<Map<string, {stamp: string; ino: number; size: number}>> {
  const files = new Map<string, {stamp: string; ino: number; size: number}>()
  for (const entry of await fs.readdir(dir, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const stat = await fs.lstat(file)
    files.set(file, {stamp: `${stat.ino}:${stat.size}:${stat.mtimeMs}`, ino: stat.ino, size: stat.size})
  }
  return files
}

/**
 * Bytes of the state files a scan wrote: new or replaced files whole, and of a file appended
 * to in place (same inode, grown: the journal index.log) only what it grew by.
 */
async function bytesWrittenBy(stateDir: string, work: () => void): Promise<{bytes: number; files: number}> {
  const before = await stateFiles(stateDir)
  work()
  let bytes = 0
  let files = 0
  for (const [file, after] of await stateFiles(stateDir)) {
    const old = before.get(file)
    if (old?.stamp === after.stamp) continue
    bytes += old?.ino === after.ino && after.size >= old.size ? after.size - old.size : after.size
    files++
  }
  return {bytes, files}
}

async function inProcess(gamesDir: string, games: number): Promise<void> {
  const paths = resolvePaths({games: gamesDir, env: {}})
  const [coldMs, cold] = await time(async () => (await Library.open(paths)).refresh())
  const library = await Library.open(paths)
  const [warmMemoryMs, warm] = await time(() => library.refresh())
  const [warmDiskMs, warmDisk] = await time(async () => (await Library.open(paths)).refresh())
  const indexBytes = (await fs.stat(paths.indexPath)).size
  if (cold.report.rescanned.length !== games || warm.report.rescanned.length !== 0 || warmDisk.report.rescanned.length !== 0) {
    throw new Error('benchmark invariant broken: the cold scan must walk every game and the warm scans none')
  }
  const pct = (ms: number): string => `${((100 * ms) / coldMs).toFixed(1)}%`
  console.log(`library: ${games} games × ${LAYOUT.length} files (${games * LAYOUT.length} files), index.json ${(indexBytes / 1e6).toFixed(1)} MB`)
  console.log(`cold scan (empty index, walks every game, writes the index): ${coldMs.toFixed(0)} ms`)
  console.log(`warm scan, index in memory (serve's periodic scan):          ${warmMemoryMs.toFixed(0)} ms  = ${pct(warmMemoryMs)} of cold`)
  console.log(`warm scan, index loaded from disk (a \`lanspread scan\` run):  ${warmDiskMs.toFixed(0)} ms  = ${pct(warmDiskMs)} of cold`)
  console.log(
    `target warm ≤ 10% of cold: ${warmMemoryMs <= coldMs * 0.1 ? 'met' : 'NOT met'} (in memory), ${warmDiskMs <= coldMs * 0.1 ? 'met' : 'NOT met'} (from disk)`,
  )
}

async function freshProcess(gamesDir: string): Promise<void> {
  const stateDir = path.join(gamesDir, '.lanspread')
  const cpuFile = path.join(os.tmpdir(), `lanspread-bench-cpu-${process.pid}`)
  const check = spawnSync(process.execPath, [RUN_JS, 'scan', '--json', '--games', gamesDir], {encoding: 'utf8', maxBuffer: 1 << 30})
  if (check.status !== 0 || JSON.parse(check.stdout).scan.rescanned.length !== 0) throw new Error(`the warm scan is not warm: ${check.stderr}`)
  const variants = [
    {label: 'floor (bare node: read index.json, the fingerprint calls)', args: [FLOOR, gamesDir, stateDir]},
    {label: '`lanspread scan --json`', args: [RUN_JS, 'scan', '--json', '--games', gamesDir]},
    {label: '`lanspread scan` (table)', args: [RUN_JS, 'scan', '--games', gamesDir]},
  ]
  const samples = variants.map(() => [] as Sample[])
  // Interleaved, so drift in the machine's load touches every variant alike.
  for (let run = 0; run < RUNS; run++) variants.forEach((variant, i) => samples[i]!.push(runFresh(variant.args, cpuFile)))
  rmSync(cpuFile, {force: true})
  const medians = samples.map((runs) => ({wallMs: median(runs.map((s) => s.wallMs)), cpuMs: median(runs.map((s) => s.cpuMs))}))
  const floor = medians[0]!
  console.log(`warm scan from a fresh process, median of ${RUNS} (target ≤ 1.5× the floor):`)
  variants.forEach((variant, i) => {
    const {wallMs, cpuMs} = medians[i]!
    const ratios = i === 0 ? '' : `  = ${(wallMs / floor.wallMs).toFixed(2)}× wall, ${(cpuMs / floor.cpuMs).toFixed(2)}× CPU`
    console.log(`  ${variant.label.padEnd(58)} wall ${wallMs.toFixed(0).padStart(5)} ms  CPU ${cpuMs.toFixed(0).padStart(5)} ms${ratios}`)
  })
  const scan = (): void => {
    const child = spawnSync(process.execPath, [RUN_JS, 'scan', '--json', '--games', gamesDir], {stdio: ['ignore', 'ignore', 'pipe']})
    if (child.status !== 0) throw new Error(`lanspread scan failed: ${child.stderr}`)
  }
  const noop = await bytesWrittenBy(stateDir, scan)
  const changes = []
  // Several in a row: the first after a checkpoint creates index.log, later ones append to it.
  for (let round = 1; round <= 3; round++) {
    writeFileSync(path.join(gamesDir, gameId(round), 'version.ini'), `1.${round}\n`)
    changes.push(await bytesWrittenBy(stateDir, scan))
  }
  const indexBytes = statSync(path.join(stateDir, 'index.json')).size
  const listed = changes.map((c) => `${c.bytes} B (${c.files} files)`).join(', ')
  console.log(
    `bytes written to the state folder by \`lanspread scan\`: one game's version.ini changed ${listed} in three runs (index.json: ${indexBytes} B), nothing changed ${noop.bytes} B (${noop.files} files)`,
  )
}

async function main(): Promise<void> {
  for (const games of SIZES) {
    const gamesDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-scan-'))
    try {
      process.stderr.write(`building ${games} games × ${LAYOUT.length} files in ${gamesDir}…\n`)
      buildLibrary(gamesDir, games)
      await inProcess(gamesDir, games)
      await freshProcess(gamesDir)
      console.log('')
    } finally {
      await fs.rm(gamesDir, {recursive: true, force: true})
    }
  }
}

await main()
