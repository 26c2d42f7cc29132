// bench:memory — peak RSS of two `serve` processes on loopback while one fetches and installs a
// 400 MB game from the other through its serve (`lanspread fetch big --install`), and what made
// up each peak (process.memoryUsage() sampled every 100 ms by bench/memory-sampler.mjs), by phase.
// Goal (issue 19 item 7): ≤ 250 MB per peer. Prints figures, asserts none.
// Switches: BENCH_MEMORY_MIB (default 400), BENCH_MEMORY_GZIP=1 (a tar.gz archive instead of a
// tar), BENCH_MEMORY_RUNS (default 1: fresh serves and a fresh index each run), BENCH_MEMORY_BULK=0
// (chunks over QUIC: `fetch --no-bulk`), BENCH_MEMORY_GAMES (default 3: the same serve fetches
// and installs that many copies of the game one after another, as a LAN-party host does).
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import * as tar from 'tar'
import {type LoopbackServe, spawnLoopbackServe} from '../scripts/serve-events.js'
import {stopChildren} from '../scripts/stop-children.js'

const MiB = 1024 * 1024
const GAME_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 400)
const RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 1)
const GZIP = process.env.BENCH_MEMORY_GZIP === '1'
const BULK = process.env.BENCH_MEMORY_BULK !== '0'
const GAMES = Number(process.env.BENCH_MEMORY_GAMES ?? 3)
const IDS = Array.from({length: GAMES}, (_, i) => (i === 0 ? 'big' : `big${i + 1}`))
if (![GAME_MIB, RUNS, GAMES].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('BENCH_MEMORY_MIB, BENCH_MEMORY_RUNS and BENCH_MEMORY_GAMES must be whole numbers > 0')
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const SAMPLER = path.join(REPO_ROOT, 'bench', 'memory-sampler.mjs')
const START_TIMEOUT_MS = 60_000
const RUN_TIMEOUT_MS = 600_000

const children = new Set<ChildProcess>()
let tempRoot: string | undefined

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const mb = (kib: number): string => `${((kib * 1024) / 1e6).toFixed(0)} MB`

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** The game: one .eti archive holding GAME_MIB of random bytes (incompressible), and a few loose files. */
async function writeGame(gamesDir: string, staging: string): Promise<number> {
  const content = path.join(staging, 'data')
  await fs.mkdir(content, {recursive: true})
  const handle = await fs.open(path.join(content, 'pak0.pak'), 'w')
  try {
    for (let written = 0; written < GAME_MIB * MiB; written += 4 * MiB) await handle.write(randomBytes(4 * MiB))
  } finally {
    await handle.close()
  }
  await fs.writeFile(path.join(content, 'config.cfg'), 'name "lan player"\n')
  const game = path.join(gamesDir, 'big')
  await fs.mkdir(game, {recursive: true})
  await tar.create({file: path.join(game, 'pak0.eti'), cwd: staging, gzip: GZIP, portable: true}, ['data'])
  await fs.rm(staging, {recursive: true, force: true})
  await fs.writeFile(path.join(game, 'version.ini'), '1.0\n')
  await fs.writeFile(path.join(game, 'readme.txt'), 'A big game.\n'.repeat(1000))
  await fs.writeFile(path.join(game, 'launcher.bin'), randomBytes(MiB))
  let bytes = 0
  for (const name of await fs.readdir(game)) bytes += (await fs.stat(path.join(game, name))).size
  return bytes
}

async function writeCatalog(gamesDir: string): Promise<void> {
  await fs.mkdir(gamesDir, {recursive: true})
  await fs.writeFile(path.join(gamesDir, 'catalog.json'), JSON.stringify(IDS.map((id) => ({id, name: `Big game ${id}`}))))
}

function status(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`)
  return Number(match[1])
}

/** Runs the CLI to completion (bounded), its stdout collected. */
function runCli(args: string[]): Promise<{code: number | null; stdout: string; ms: number}> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = track(
      spawn(process.execPath, [CLI, ...args], {cwd: REPO_ROOT, env: {...process.env, LANSPREAD_GAMES: ''}, stdio: ['ignore', 'pipe', 'inherit']}),
    )
    let stdout = ''
    child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, ms: performance.now() - started})
    })
  })
}

interface Sample {
  label: string
  t: number
  rss: number
  heap_total: number
  heap_used: number
  external: number
  array_buffers: number
  anon: number
  file: number
  shmem: number
}

/** The sample of `label` with the largest RSS between `from` and `to` (epoch ms). */
function peakSample(samples: Sample[], label: string, from: number, to: number): Sample | undefined {
  let peak: Sample | undefined
  for (const s of samples) if (s.label === label && s.t >= from && s.t <= to && (!peak || s.rss > peak.rss)) peak = s
  return peak
}

function breakdown(s: Sample | undefined): string {
  if (!s) return '(no sample)'
  // external includes arrayBuffers; what RSS holds beyond V8's heap and external memory is native (code, QUIC, TLS, libuv, malloc).
  const native = s.rss - s.heap_total - s.external
  return `rss ${mb(s.rss)} = heap ${mb(s.heap_total)} (used ${mb(s.heap_used)}) + external ${mb(s.external)} (arrayBuffers ${mb(s.array_buffers)}) + other ${mb(native)}; pages: anonymous ${mb(s.anon)}, file ${mb(s.file)}, shared ${mb(s.shmem)}`
}

const epochOf = (at: number): number => performance.timeOrigin + at

interface GameFigures {
  id: string
  /** VmHWM of serve A and B after this game's fetch. */
  peak: [number, number]
  mbps: number
  lines: string[]
}

interface Pair {
  serveA: LoopbackServe
  serveB: LoopbackServe
  gamesB: string
  memFile: string
}

/** One `fetch ID --install` through serve B, its figures and the memory samples that explain them. */
async function fetchThroughServe({serveA, serveB, gamesB, memFile}: Pair, id: string, gameBytes: number): Promise<GameFigures> {
  const pids = [serveA.child.pid!, serveB.child.pid!] as const
  const before = pids.map((pid) => status(pid, 'VmHWM')) as [number, number]
  const seen = serveB.events.length
  const began = Date.now()
  const fetched = await runCli(['fetch', id, '--install', '--games', gamesB, '--json', ...(BULK ? [] : ['--no-bulk'])])
  const ended = Date.now()
  if (fetched.code !== 0) throw new Error(`fetch ${id} exited with ${fetched.code}: ${fetched.stdout}\n${serveB.stderr().slice(-3000)}`)
  const game = (JSON.parse(fetched.stdout) as {games: {bytes: number; elapsed_ms: number; installed: boolean}[]}).games[0]!
  if (!game.installed || game.bytes !== gameBytes) throw new Error(`fetch ${id} moved ${game.bytes} of ${gameBytes} bytes, installed: ${game.installed}`)
  await sleep(300)
  const peak = pids.map((pid) => status(pid, 'VmHWM')) as [number, number]
  const installStarted = serveB.events.slice(seen).find((e) => e.event === 'operation_started' && e.kind === 'install')
  const installAt = installStarted ? epochOf(installStarted.at) : ended
  const samples = existsSync(memFile)
    ? readFileSync(memFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Sample)
    : []
  const mbps = gameBytes / 1e6 / (game.elapsed_ms / 1000)
  return {
    id,
    peak,
    mbps,
    lines: [
      `  ${id}: ${(gameBytes / 1e6).toFixed(0)} MB in ${(game.elapsed_ms / 1000).toFixed(2)} s = ${mbps.toFixed(0)} MB/s download; install ${((ended - installAt) / 1000).toFixed(2)} s; fetch command wall ${(fetched.ms / 1000).toFixed(2)} s`,
      `    serve A (source):   peak RSS ${mb(peak[0])} (before this fetch ${mb(before[0])})`,
      `      largest sample while serving:     ${breakdown(peakSample(samples, 'A', began, ended))}`,
      `    serve B (fetching): peak RSS ${mb(peak[1])} (before this fetch ${mb(before[1])})`,
      `      largest sample while downloading: ${breakdown(peakSample(samples, 'B', began, installAt))}`,
      `      largest sample while installing:  ${breakdown(peakSample(samples, 'B', installAt, ended + 300))}`,
    ],
  }
}

async function oneRun(run: number, root: string, gamesA: string, gameBytes: number): Promise<GameFigures[]> {
  const memFile = path.join(root, `mem-${run}.jsonl`)
  const gamesB = path.join(root, `b-${run}`)
  await writeCatalog(gamesB)
  // Each run starts from unhashed games, as a first fetch from a fresh serve does.
  await fs.rm(path.join(gamesA, '.lanspread'), {recursive: true, force: true})
  const start = (name: string, dir: string, extra: string[]): Promise<LoopbackServe> =>
    spawnLoopbackServe(name, dir, {
      extraArgs: extra,
      nodeArgs: ['--import', SAMPLER],
      env: {BENCH_MEM_FILE: memFile, BENCH_LABEL: name},
      timeoutMs: START_TIMEOUT_MS,
      onChild: track,
    })
  const serveA = await start('A', gamesA, [])
  const serveB = await start('B', gamesB, ['--peer', `127.0.0.1:${serveA.port}`])
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!serveB.events.some((e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId && e.game_count === GAMES)) {
    if (Date.now() > deadline) throw new Error(`serve B did not learn A's library: ${serveB.stderr()}`)
    await sleep(20)
  }
  await sleep(500)
  const figures: GameFigures[] = []
  for (const id of IDS) figures.push(await fetchThroughServe({serveA, serveB, gamesB, memFile}, id, gameBytes))
  await stopChildren([serveA.child, serveB.child])
  await fs.rm(gamesB, {recursive: true, force: true})
  return figures
}

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-memory-'))
  tempRoot = root
  const gamesA = path.join(root, 'a')
  await writeCatalog(gamesA)
  process.stderr.write(
    `writing a ${GAME_MIB} MiB game (${GZIP ? 'tar.gz' : 'tar'} .eti of random bytes, and loose files)${GAMES > 1 ? ` and ${GAMES - 1} copies` : ''} in ${root}…\n`,
  )
  const gameBytes = await writeGame(gamesA, path.join(root, 'staging'))
  for (const id of IDS.slice(1)) await fs.cp(path.join(gamesA, 'big'), path.join(gamesA, id), {recursive: true})
  const runs: GameFigures[][] = []
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`run ${run} of ${RUNS}: fetch ${IDS.join(', ')} --install (one after another) through serve B, from serve A…\n`)
    runs.push(await oneRun(run, root, gamesA, gameBytes))
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  console.log(
    `bench:memory — fetch --install of ${GAMES} × a ${(gameBytes / 1e6).toFixed(0)} MB game (${GZIP ? 'tar.gz' : 'tar'} .eti) through serve, serve to serve on 127.0.0.1 over ${BULK ? 'bulk TLS' : 'QUIC (--no-bulk)'}; ${os.cpus().length} cores, load ${load}; MB = 10^6 bytes`,
  )
  for (const [i, figures] of runs.entries()) console.log([`run ${i + 1} (fresh serves):`, ...figures.flatMap((f) => f.lines)].join('\n'))
  const all = runs.flat()
  const peakOf = (serve: 0 | 1, id?: string) => mb(Math.max(...all.filter((f) => id === undefined || f.id === id).map((f) => f.peak[serve])))
  console.log(
    `peak RSS over ${RUNS} runs: serve A ${peakOf(0)}, serve B ${peakOf(1)} (after the first game only: A ${peakOf(0, 'big')}, B ${peakOf(1, 'big')}); goal ≤ 250 MB per peer`,
  )
  console.log(`download MB/s: ${all.map((f) => f.mbps.toFixed(0)).join(' / ')}`)
}

// Ctrl-C or a crash of the benchmark: no process outlives it, no temp folder stays behind.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (tempRoot) rmSync(tempRoot, {recursive: true, force: true})
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

try {
  await main()
} finally {
  await stopChildren(children)
  if (tempRoot) await fs.rm(tempRoot, {recursive: true, force: true})
  tempRoot = undefined
}
