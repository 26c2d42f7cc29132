// bench:fetch — a 1 GiB game of several files fetched by a one-shot peer from two `serve`
// processes on loopback (bulk TLS, every chunk verified), beside a bare node:tls stream of the
// same files disk to disk between two processes; the first GetGame of the unhashed game on each
// source; the same fetch over QUIC only (a smaller game); peak RSS of every process; and the
// bytes a one-chunk update moves. Targets (issue 11 item 9): fetch ≥ 1.0× bare TLS, RSS ≤ 250 MB.
// Runs the built CLI (bin/run.js → dist/): the npm script builds first.
// `--transport quic|portable` (default quic) picks the peer transport of the serves and fetches
// (the --no-bulk row is its chunk rate). Switches: BENCH_CPU_PROF=DIR (V8 CPU profiles of the fetch and serve processes), BENCH_WARM_PAGES=0
// (no page-cache warming), LANSPREAD_DIRECT_IO=0 (passed to the fetches: chunks written through
// the page cache instead of O_DIRECT, to show what direct writes change). The process table gives
// each process's CPU as user + system and its main thread's share (the rest is libuv's pool:
// file writes and fsyncs; V8's helpers).
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync, rmSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {resolvePaths} from '../src/config.js'
import {QuicGameSource} from '../src/download/quic-game-source.js'
import {parsePeerAddress} from '../src/discovery/static-peers.js'
import {withOneShotPeer} from '../src/peer/one-shot.js'
import {type LoopbackServe, spawnLoopbackServe} from '../scripts/serve-events.js'
import {benchTransport} from './transport-arg.js'
import {stopChildren} from '../scripts/stop-children.js'
import {CHUNK, MiB, writeGame} from '../test/helpers/synthetic-game.js'

const TRANSPORT = benchTransport()
const GAME_MIB = Number(process.env.BENCH_FETCH_MIB ?? 1024)
const FILES = Number(process.env.BENCH_FETCH_FILES ?? 4)
const QUIC_MIB = Number(process.env.BENCH_QUIC_MIB ?? 32)
if (![GAME_MIB, FILES, QUIC_MIB].every((n) => Number.isInteger(n) && n > 0) || (GAME_MIB * MiB) % (FILES * CHUNK) !== 0) {
  throw new Error(
    `BENCH_FETCH_MIB (${GAME_MIB}) must split into BENCH_FETCH_FILES (${FILES}) files of whole 4 MiB chunks; BENCH_QUIC_MIB (${QUIC_MIB}) a whole number`,
  )
}
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const RSS_REPORT = path.join(REPO_ROOT, 'bench', 'rss-report.mjs')
const BARE = path.join(REPO_ROOT, 'bench', 'bare-tls-stream.mjs')
const START_TIMEOUT_MS = 60_000
const RUN_TIMEOUT_MS = 600_000

const children = new Set<ChildProcess>()
let tempRoot: string | undefined
/** Each serve's stderr, shown when the benchmark fails. */
const serveLogs: {name: string; stderr: () => string}[] = []

type Serve = LoopbackServe

interface FetchDocument {
  games: {
    id: string
    eti_version: string
    bytes: number
    reused_bytes: number
    elapsed_ms: number
    sources: {peer_id: string; bytes: number}[]
    retried_chunks: number
  }[]
}

interface ProcessReport {
  label: string
  max_rss_kib: number
  cpu_ms: number
  user_ms?: number
  sys_ms?: number
  /** The main thread's share (the rest: libuv's pool, V8's helpers, worker threads). */
  main_user_ms?: number
  main_sys_ms?: number
  /** Event-loop utilization in the process's busiest second, and per second (bench/rss-report.mjs). */
  elu_busiest_second?: number
  elu_per_second?: number[]
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = check()
    if (found) return found
    await sleep(20)
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
}

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

async function copyGame(from: string, to: string): Promise<void> {
  await fs.mkdir(to, {recursive: true})
  for (const name of await fs.readdir(from)) await fs.copyFile(path.join(from, name), path.join(to, name))
}

async function writeCatalog(gamesDir: string): Promise<void> {
  await fs.mkdir(gamesDir, {recursive: true})
  await fs.writeFile(
    path.join(gamesDir, 'catalog.json'),
    JSON.stringify([
      {id: 'big', name: 'Big game'},
      {id: 'small', name: 'Small game'},
    ]),
  )
}

/**
 * By default (BENCH_WARM_PAGES=0 turns it off): before each measured transfer, write and delete a scratch file as large as
 * the game, so every transfer writes into page-cache pages the VM's host has just backed. On this
 * machine (virtio-balloon free page reporting) a transfer that writes into pages freed seconds ago
 * costs ~0.3 s of kernel copy per GiB, one into pages reported free costs ~2.3 s: without it, the
 * bare stream (right after the A-only fetch's folder is removed) gets warm pages, the fetches cold.
 * Every transfer compared gets the same treatment, so the ratio compares the programs, not the pages.
 */
async function warmPages(root: string, bytes: number): Promise<void> {
  if (process.env.BENCH_WARM_PAGES === '0') return
  const file = path.join(root, 'warm-pages.bin')
  const block = Buffer.alloc(CHUNK, 1)
  const handle = await fs.open(file, 'w')
  try {
    for (let offset = 0; offset < bytes; offset += CHUNK) await handle.write(block, 0, CHUNK, offset)
  } finally {
    await handle.close()
  }
  await fs.rm(file)
}

/** BENCH_CPU_PROF=DIR: a V8 CPU profile of each fetch and serve process, to see where its time goes. */
function profileFlags(): string[] {
  return process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []
}

async function startServe(name: string, gamesDir: string, extraArgs: string[]): Promise<Serve> {
  const serve = await spawnLoopbackServe(name, gamesDir, {
    extraArgs: [...TRANSPORT.serveArgs, ...extraArgs],
    nodeArgs: profileFlags(),
    timeoutMs: START_TIMEOUT_MS,
    onChild: track,
  })
  serveLogs.push({name, stderr: serve.stderr})
  return serve
}

/** Runs a node process to completion (bounded), its stdout collected; stderr passes through. */
function run(args: string[], env: Record<string, string> = {}): Promise<{code: number | null; stdout: string; ms: number}> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = track(
      spawn(process.execPath, args, {cwd: REPO_ROOT, env: {...process.env, LANSPREAD_GAMES: '', ...env}, stdio: ['ignore', 'pipe', 'inherit']}),
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

/** A one-shot `fetch --json` from the given serves, its peak RSS and CPU recorded under `label`. */
async function fetchOnce(
  label: string,
  gamesDir: string,
  id: string,
  serves: Serve[],
  rssFile: string,
  extra: string[] = [],
): Promise<FetchDocument['games'][number] & {wall_ms: number}> {
  const peers = serves.flatMap((serve) => ['--peer', `127.0.0.1:${serve.port}`])
  const result = await run(
    [...profileFlags(), '--import', RSS_REPORT, CLI, 'fetch', id, '--no-mdns', '--games', gamesDir, '--json', '--wait-peers', '30', ...peers, ...extra],
    {BENCH_RSS_FILE: rssFile, BENCH_LABEL: label},
  )
  if (result.code !== 0) throw new Error(`${label}: fetch exited with ${result.code}: ${result.stdout}`)
  return {...(JSON.parse(result.stdout) as FetchDocument).games[0]!, wall_ms: result.ms}
}

/** GetGame from a bench-side one-shot peer: the first (the source hashes the game) and a second one. */
async function timeGetGame(serve: Serve, id: string, scratch: string): Promise<{firstMs: number; againMs: number}> {
  await writeCatalog(scratch)
  const paths = resolvePaths({games: scratch, env: {}})
  return withOneShotPeer(
    {paths, peers: [parsePeerAddress(`127.0.0.1:${serve.port}`)], bulk: false, meetTimeoutMs: 30_000, mdns: false, interfaces: [], log: () => {}},
    async (runtime) => {
      const connection = runtime.sessions.connectionOf(serve.peerId)
      if (!connection) throw new Error(`the bench's peer did not connect to serve ${serve.name}`)
      const source = new QuicGameSource(connection, {peerId: serve.peerId, timeoutMs: RUN_TIMEOUT_MS})
      let started = performance.now()
      const manifest = await source.getGame(id)
      const firstMs = performance.now() - started
      if (manifest === 'not_modified') throw new Error('a first GetGame answered NotModified')
      started = performance.now()
      await source.getGame(id)
      return {firstMs, againMs: performance.now() - started}
    },
  )
}

/** utime and stime (ms) of a process or one thread, from /proc/…/stat (clock ticks of 10 ms). */
function ticksOf(statFile: string): {user: number; sys: number} {
  const stat = readFileSync(statFile, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10}
}

interface CpuSplit {
  user_ms: number
  sys_ms: number
  main_user_ms: number
  main_sys_ms: number
}

/** CPU of a running process so far: user and system, and its main thread's share of each. */
function cpuOf(pid: number): CpuSplit {
  const all = ticksOf(`/proc/${pid}/stat`)
  const main = ticksOf(`/proc/${pid}/task/${pid}/stat`)
  return {user_ms: all.user, sys_ms: all.sys, main_user_ms: main.user, main_sys_ms: main.sys}
}

const cpuMsOf = (pid: number): number => {
  const {user_ms, sys_ms} = cpuOf(pid)
  return user_ms + sys_ms
}

const minus = (a: CpuSplit, b: CpuSplit): CpuSplit => ({
  user_ms: a.user_ms - b.user_ms,
  sys_ms: a.sys_ms - b.sys_ms,
  main_user_ms: a.main_user_ms - b.main_user_ms,
  main_sys_ms: a.main_sys_ms - b.main_sys_ms,
})

/** "user u s + sys y s (main thread u' + y')" of a report, or its total when the split is missing. */
function cpuText(report: {cpu_ms: number} & Partial<CpuSplit>): string {
  const s = (ms: number) => (ms / 1000).toFixed(2)
  if (report.user_ms === undefined || report.sys_ms === undefined) return `${s(report.cpu_ms)} s`
  const main = report.main_user_ms === undefined ? '' : `  main thread ${s(report.main_user_ms)} + ${s(report.main_sys_ms!)}`
  return `${s(report.cpu_ms).padStart(5)} s = user ${s(report.user_ms)} + sys ${s(report.sys_ms)}${main}`
}

function vmHwmKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /VmHWM:\s+(\d+) kB/.exec(status)
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`)
  return Number(match[1])
}

async function stopAll(): Promise<void> {
  await stopChildren(children)
}

/** A bare TLS stream of `files` from `fromDir` into `toDir`: server and client in processes of their own. */
async function bareTls(
  fromDir: string,
  toDir: string,
  files: {name: string; size: number}[],
  tlsDir: string,
  rssFile: string,
): Promise<{bytes: number; ms: number}> {
  await fs.mkdir(toDir, {recursive: true})
  const server = track(
    spawn(
      process.execPath,
      ['--import', RSS_REPORT, BARE, 'server', path.join(tlsDir, 'cert.pem'), path.join(tlsDir, 'key.pem'), ...files.map((f) => path.join(fromDir, f.name))],
      {
        env: {...process.env, BENCH_RSS_FILE: rssFile, BENCH_LABEL: 'bare TLS server'},
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  )
  let out = ''
  server.stdout!.on('data', (data: Buffer) => (out += data.toString()))
  const port = await waitUntil('the bare TLS server', START_TIMEOUT_MS, () => {
    if (server.exitCode !== null) throw new Error(`the bare TLS server exited with ${server.exitCode}`)
    return out.includes('\n') && (JSON.parse(out) as {port: number}).port
  })
  const client = await run(['--import', RSS_REPORT, BARE, 'client', String(port), toDir, ...files.map((f) => `${f.name}:${f.size}`)], {
    BENCH_RSS_FILE: rssFile,
    BENCH_LABEL: 'bare TLS client',
  })
  if (client.code !== 0) throw new Error(`the bare TLS client exited with ${client.code}`)
  await waitUntil('the bare TLS server to exit', START_TIMEOUT_MS, () => server.exitCode !== null)
  return JSON.parse(client.stdout) as {bytes: number; ms: number}
}

/** Overwrites one 4 MiB chunk in the middle of `file` with the same new bytes on every source, and bumps version.ini. */
async function changeOneChunk(roots: string[], file: string, version: string): Promise<void> {
  const bytes = randomBytes(CHUNK)
  for (const root of roots) {
    const handle = await fs.open(path.join(root, file), 'r+')
    try {
      const {size} = await handle.stat()
      await handle.write(bytes, 0, CHUNK, Math.floor(size / CHUNK / 2) * CHUNK)
    } finally {
      await handle.close()
    }
    await fs.writeFile(path.join(root, 'version.ini'), `${version}\n`)
  }
}

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000)
const mb = (kib: number): string => `${((kib * 1024) / 1e6).toFixed(0)} MB`

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-fetch-'))
  tempRoot = root
  const rssFile = path.join(root, 'rss.jsonl')
  const [gamesA, gamesB, gamesC, gamesQ] = ['a', 'b', 'c', 'q'].map((name) => path.join(root, name)) as [string, string, string, string]
  for (const dir of [gamesA, gamesB, gamesC, gamesQ]) await writeCatalog(dir)
  process.stderr.write(`writing a ${GAME_MIB} MiB game of ${FILES} files and a ${QUIC_MIB} MiB one in ${root}…\n`)
  const files = await writeGame(path.join(gamesA, 'big'), FILES, GAME_MIB, '1.0')
  await writeGame(path.join(gamesA, 'small'), 1, QUIC_MIB, '1.0')
  await copyGame(path.join(gamesA, 'big'), path.join(gamesB, 'big'))
  await copyGame(path.join(gamesA, 'small'), path.join(gamesB, 'small'))
  const gameBytes = files.reduce((sum, f) => sum + f.size, 0) + '1.0\n'.length

  const serveA = await startServe('A', gamesA, [])
  const serveB = await startServe('B', gamesB, [])

  // The first GetGame of the unhashed game costs each source a full read and hash of it.
  process.stderr.write('first GetGame on each source (they hash the game)…\n')
  const getGameA = await timeGetGame(serveA, 'big', path.join(root, 'probe-a'))
  const getGameB = await timeGetGame(serveB, 'big', path.join(root, 'probe-b'))
  await timeGetGame(serveA, 'small', path.join(root, 'probe-c'))
  await timeGetGame(serveB, 'small', path.join(root, 'probe-d'))

  // (a) fetch over bulk TLS from A and B, hashes warm, into an empty folder.
  process.stderr.write('fetch over bulk TLS from A and B…\n')
  await warmPages(root, gameBytes)
  const cpuBefore = [serveA, serveB].map((serve) => cpuOf(serve.child.pid!))
  const fetched = await fetchOnce('fetch (bulk TLS, A+B)', gamesC, 'big', [serveA, serveB], rssFile)
  const serveFetchCpu = [serveA, serveB].map((serve, i) => minus(cpuOf(serve.child.pid!), cpuBefore[i]!))
  if (fetched.bytes !== gameBytes) throw new Error(`fetch moved ${fetched.bytes} bytes, the game has ${gameBytes}`)

  // The same fetch from A alone: one source process, as the bare stream has.
  process.stderr.write('fetch over bulk TLS from A alone…\n')
  const gamesD = path.join(root, 'd')
  await writeCatalog(gamesD)
  await warmPages(root, gameBytes)
  const fetchedOne = await fetchOnce('fetch (bulk TLS, A only)', gamesD, 'big', [serveA], rssFile)
  await fs.rm(gamesD, {recursive: true, force: true})

  // (b) the bare TLS stream of the same files, disk to disk.
  process.stderr.write('bare node:tls stream of the same files…\n')
  await warmPages(root, gameBytes)
  const bare = await bareTls(path.join(gamesA, 'big'), path.join(root, 'bare'), files, path.join(gamesA, '.lanspread', 'tls'), rssFile)

  // (c) QUIC only, a smaller game.
  process.stderr.write(`fetch of the ${QUIC_MIB} MiB game over ${TRANSPORT.name} only (--no-bulk)…\n`)
  // QUIC in @matrixai/quic moves a few MB/s, CPU-bound: a failure here is reported, not fatal.
  const quic = await fetchOnce(`fetch --no-bulk (${TRANSPORT.name}, A+B)`, gamesQ, 'small', [serveA, serveB], rssFile, ['--no-bulk']).catch((error: unknown) =>
    error instanceof Error ? error : new Error(String(error)),
  )

  // (e) one 4 MiB region of one file changes on both sources: the update moves about one chunk.
  process.stderr.write('one-chunk update…\n')
  const seenA = serveA.events.length
  const seenB = serveB.events.length
  const updatedOn = (serve: Serve, seen: number) => () =>
    serve.events.slice(seen).some((e) => e.event === 'library_changed' && (e.updated as string[]).includes('big'))
  await changeOneChunk([path.join(gamesA, 'big'), path.join(gamesB, 'big')], files[Math.min(1, files.length - 1)]!.name, '1.1')
  await waitUntil('A to see the update', START_TIMEOUT_MS, updatedOn(serveA, seenA))
  await waitUntil('B to see the update', START_TIMEOUT_MS, updatedOn(serveB, seenB))
  const update = await fetchOnce('fetch update (bulk TLS, A+B)', gamesC, 'big', [serveA, serveB], rssFile)

  // (d) peak RSS of every process.
  const serveRss: ProcessReport[] = [serveA, serveB].map((serve) => ({
    label: `serve ${serve.name} (whole run)`,
    max_rss_kib: vmHwmKib(serve.child.pid!),
    cpu_ms: cpuMsOf(serve.child.pid!),
    ...cpuOf(serve.child.pid!),
  }))
  await stopAll()
  const reports = readFileSync(rssFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ProcessReport)

  const fetchRate = mbps(fetched.bytes, fetched.elapsed_ms)
  const fetchWallRate = mbps(fetched.bytes, fetched.wall_ms)
  const bareRate = mbps(bare.bytes, bare.ms)
  const cores = os.cpus().length
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  console.log(
    `bench:fetch over ${TRANSPORT.name} — ${GAME_MIB} MiB game of ${FILES} files (4 MiB chunks, all distinct) on 127.0.0.1; ${cores} cores, load ${load}; MB = 10^6 bytes${process.env.BENCH_WARM_PAGES === '0' ? '; page cache NOT warmed before each transfer (BENCH_WARM_PAGES=0)' : '; page cache warmed before each transfer (BENCH_WARM_PAGES=0 turns it off)'}; fetch writes chunks ${process.env.LANSPREAD_DIRECT_IO?.trim() === '0' ? 'through the page cache (LANSPREAD_DIRECT_IO=0)' : 'with O_DIRECT (LANSPREAD_DIRECT_IO=0 turns it off)'}`,
  )
  console.log('')
  console.log('first GetGame of the unhashed game (the source reads and hashes it; a second GetGame after it):')
  console.log(
    `  source A: ${(getGameA.firstMs / 1000).toFixed(2)} s = ${mbps(gameBytes, getGameA.firstMs).toFixed(0)} MB/s hashed (again: ${getGameA.againMs.toFixed(0)} ms)`,
  )
  console.log(
    `  source B: ${(getGameB.firstMs / 1000).toFixed(2)} s = ${mbps(gameBytes, getGameB.firstMs).toFixed(0)} MB/s hashed (again: ${getGameB.againMs.toFixed(0)} ms)`,
  )
  console.log('')
  console.log('transfer                                   bytes          time      MB/s   vs bare TLS')
  const row = (name: string, bytes: number, ms: number, ratio: string) =>
    console.log(
      `${name.padEnd(42)} ${String(bytes).padStart(11)}  ${(ms / 1000).toFixed(2).padStart(7)} s  ${mbps(bytes, ms).toFixed(0).padStart(6)}   ${ratio}`,
    )
  row('fetch, bulk TLS from A+B (download)', fetched.bytes, fetched.elapsed_ms, `${(fetchRate / bareRate).toFixed(2)}×`)
  row('fetch, bulk TLS from A+B (process wall)', fetched.bytes, fetched.wall_ms, `${(fetchWallRate / bareRate).toFixed(2)}×`)
  row(
    'fetch, bulk TLS from A alone (download)',
    fetchedOne.bytes,
    fetchedOne.elapsed_ms,
    `${(mbps(fetchedOne.bytes, fetchedOne.elapsed_ms) / bareRate).toFixed(2)}×`,
  )
  row('bare node:tls stream, disk to disk', bare.bytes, bare.ms, '1.00×')
  if (quic instanceof Error) console.log(`fetch --no-bulk, ${TRANSPORT.name} from A+B (${QUIC_MIB} MiB): FAILED: ${quic.message}`)
  else
    row(
      `fetch --no-bulk, ${TRANSPORT.name} from A+B (${QUIC_MIB} MiB)`,
      quic.bytes,
      quic.elapsed_ms,
      `${(mbps(quic.bytes, quic.elapsed_ms) / bareRate).toFixed(2)}×`,
    )
  for (const [i, name] of ['A', 'B'].entries()) {
    const split = serveFetchCpu[i]!
    console.log(`  CPU of serve ${name} during the A+B fetch: ${cpuText({cpu_ms: split.user_ms + split.sys_ms, ...split})} (bare TLS server: see below)`)
  }
  console.log(
    `  fetch sources: ${fetched.sources.map((s) => `${s.peer_id === serveA.peerId ? 'A' : 'B'} ${(s.bytes / MiB).toFixed(0)} MiB`).join(', ')}; retried chunks ${fetched.retried_chunks}`,
  )
  console.log('')
  console.log(
    `one-chunk update (one 4 MiB region of ${files[Math.min(1, files.length - 1)]!.name} changed, version 1.0 → 1.1): ${update.bytes} bytes moved, ${update.reused_bytes} reused, ${(update.elapsed_ms / 1000).toFixed(2)} s (the sources rehashed the changed file on GetGame)`,
  )
  console.log('')
  console.log('process                          peak RSS   CPU (user + system; main thread user + system)')
  for (const report of [...serveRss, ...reports]) console.log(`${report.label.padEnd(32)} ${mb(report.max_rss_kib).padStart(8)}   ${cpuText(report)}`)
  console.log('')
  console.log('event loop of each fetch, utilization per second of its life (1 = never idle: receiving, decrypting and hashing wait on each other):')
  for (const report of reports.filter((r) => r.label.startsWith('fetch') && r.elu_per_second))
    console.log(`  ${report.label.padEnd(30)} busiest ${report.elu_busiest_second?.toFixed(2)}; ${report.elu_per_second!.map((u) => u.toFixed(2)).join(' ')}`)
  const peers = [...serveRss, ...reports.filter((r) => r.label.startsWith('fetch'))]
  const maxPeerMb = Math.max(...peers.map((r) => (r.max_rss_kib * 1024) / 1e6))
  console.log('')
  console.log(
    `targets: fetch ≥ 1.0× bare TLS ${fetchRate >= bareRate ? 'met' : 'NOT met'} (${(fetchRate / bareRate).toFixed(2)}×); RSS ≤ 250 MB per peer ${maxPeerMb <= 250 ? 'met' : 'NOT met'} (max ${maxPeerMb.toFixed(0)} MB)`,
  )
}

// Ctrl-C or a crash of the benchmark: no process outlives it, no temp folder stays behind.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (tempRoot) rmSync(tempRoot, {recursive: true, force: true})
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

try {
  await main()
} catch (error) {
  for (const log of serveLogs) process.stderr.write(`--- serve ${log.name}, last lines of stderr:\n${log.stderr().slice(-3000)}\n`)
  throw error
} finally {
  await stopAll()
  if (tempRoot) await fs.rm(tempRoot, {recursive: true, force: true})
  tempRoot = undefined
}
