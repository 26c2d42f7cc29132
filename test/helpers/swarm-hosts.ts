// The hosts of bench:swarm and test/lan/swarm.lan.test.ts: one seed and N fetchers, each a network namespace on the test LAN's
// bridge (test/helpers/lan.ts) with its link shaped both ways, each running `lanspread serve`
// with static peers and mDNS off; fetches go through a fetcher's serve: `lanspread fetch --json`
// run inside its namespace, or its control socket's fetch call (FetchVia). Also what the bench reads off the hosts: link counters, the seed's
// upload log (`status` on its control socket), CPU seconds.
import fs from 'node:fs/promises'
import {type LanspreadPaths, resolvePaths} from '../../src/config.js'
import {attachToServe} from '../../src/control/attach.js'
import type {Status} from '../../src/control/status.js'
import {CLI} from './cli.js'
import {LAN_ENV, type Lan, type LanNode, type LanPeer} from './lan.js'

export const GAME_ID = 'big'
const PORT = 4870

/**
 * Every process of the bench: mDNS off (static peers only), and serve's own default liveness
 * timings, not the test LAN's short ones (a chunk shared by 12 fetchers outlasts them).
 * An empty value means "unset" to serve's settings.
 */
export const BENCH_ENV: Record<string, string> = {
  ...Object.fromEntries(Object.keys(LAN_ENV).map((name) => [name, ''])),
  LANSPREAD_MDNS: '0',
}

export interface Host {
  name: string
  node: LanNode
  /** Its games folder while it runs (a fresh one per round for a fetcher). */
  dir?: string
  serve?: LanPeer
}

/** What one `lanspread fetch --json` printed and when it ran (performance.now()). */
export interface FetchOutcome {
  host: Host
  startedAt: number
  endedAt: number
  game?: FetchedGame
  /** `code: message` of its error document, or why it printed none. */
  error?: string
}

export interface FetchedGame {
  id: string
  bytes: number
  reused_bytes: number
  elapsed_ms: number
  sources: {peer_id: string; bytes: number; transport?: string}[]
  retried_chunks: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts serve on a host with this games folder and these static peers; resolves once it listens. */
export async function startServe(lan: Lan, host: Host, dir: string, peers: readonly Host[], readyTimeoutMs: number): Promise<LanPeer> {
  const peerArgs = peers.flatMap((peer) => ['--peer', `${peer.node.address}:${PORT}`])
  host.dir = dir
  host.serve = await lan.startServe(host.node, dir, ['--no-mdns', ...peerArgs], BENCH_ENV, readyTimeoutMs)
  return host.serve
}

/** SIGTERM (serve says goodbye to its peers), SIGKILL after 10 s. */
export async function stopServe(host: Host): Promise<void> {
  const child = host.serve?.child
  host.serve = undefined
  if (!child) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await child
  clearTimeout(timer)
}

/** Stops the fetchers' serves and removes their games folders (the next round starts fresh). */
export async function retire(hosts: readonly Host[]): Promise<void> {
  await Promise.all(hosts.map((host) => stopServe(host)))
  for (const host of hosts) {
    if (host.dir) await fs.rm(host.dir, {recursive: true, force: true})
    host.dir = undefined
  }
}

/**
 * Waits until every fetcher's serve holds the seed's library (one game) and knows every other
 * fetcher of the round, so that a swarming fetch can use them from its first chunk.
 */
export async function waitForMesh(seed: Host, fetchers: readonly Host[], timeoutMs: number): Promise<number> {
  const started = performance.now()
  const seedId = seed.serve!.peerId
  const missing = (): string[] =>
    fetchers.flatMap((host) => {
      const known = host.serve!.known()
      const gaps = known.get(seedId) === 1 ? [] : [`${host.name} lacks the seed's library`]
      for (const other of fetchers) if (other !== host && !known.has(other.serve!.peerId)) gaps.push(`${host.name} does not know ${other.name}`)
      return gaps
    })
  while (missing().length > 0) {
    if (performance.now() - started > timeoutMs) throw new Error(`the fetchers did not meet within ${timeoutMs / 1000} s: ${missing().slice(0, 10).join('; ')}`)
    await sleep(50)
  }
  return performance.now() - started
}

/** A running `lanspread fetch --json` through a fetcher's serve. */
export interface RunningFetch {
  host: Host
  done: Promise<FetchOutcome>
  /** SIGTERM: the CLI cancels the fetch in serve and prints what happened. */
  stop(): void
}

/**
 * How a fetch is started: `cli` runs `lanspread fetch --json` in the host's namespace (a whole
 * process per fetch, as a player would); `control` asks the host's serve over its control
 * socket from this process (the typed API the CLI uses), so N fetch processes starting at once
 * do not take the cores from the serves on a 2-core machine.
 */
export type FetchVia = 'cli' | 'control'

/** Starts the fetch through the host's serve; it is stopped (a cancel, or SIGTERM then SIGKILL) after `boundMs`. */
export function startFetch(lan: Lan, host: Host, boundMs: number, via: FetchVia = 'cli'): RunningFetch {
  return via === 'cli' ? startCliFetch(lan, host, boundMs) : startControlFetch(host, boundMs)
}

function startControlFetch(host: Host, boundMs: number): RunningFetch {
  const startedAt = performance.now()
  let cancel: (() => Promise<unknown>) | undefined
  let stopped = false
  const stop = (): void => {
    stopped = true
    void cancel?.()
  }
  const bound = setTimeout(stop, boundMs)
  const done = (async (): Promise<FetchOutcome> => {
    const paths = resolvePaths({games: host.dir!, env: {}})
    const client = await attachToServe(paths)
    if (!client) return {host, startedAt, endedAt: performance.now(), error: 'its serve does not answer on the control socket'}
    const {ServeApi} = await import('../../src/api/serve-api.js')
    const api = new ServeApi(client, {paths, warn: () => undefined})
    try {
      const result = await api.fetch(
        {ids: [GAME_ID], install: false, bulk: true},
        {
          onCancellable: (c) => {
            cancel = c
            // Stopped before the job started: cancelled as soon as it can be.
            if (stopped) void c?.()
          },
        },
      )
      const game = result.games[0]
      return {host, startedAt, endedAt: performance.now(), ...(game ? {game} : {error: 'the fetch reported no game'})}
    } catch (error) {
      return {host, startedAt, endedAt: performance.now(), error: error instanceof Error ? error.message : String(error)}
    } finally {
      clearTimeout(bound)
      api.close()
    }
  })()
  return {host, done, stop}
}

function startCliFetch(lan: Lan, host: Host, boundMs: number): RunningFetch {
  const startedAt = performance.now()
  const child = lan.spawn(host.node, 'node', [CLI, 'fetch', GAME_ID, '--json', '--no-mdns', '--games', host.dir!], BENCH_ENV)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (data: Buffer) => (stdout += data.toString()))
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
  const stop = (): void => {
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
  }
  const bound = setTimeout(stop, boundMs)
  const done = child.then((result) => {
    clearTimeout(bound)
    return {host, startedAt, endedAt: performance.now(), ...parseFetch(stdout, stderr, String(result.exitCode ?? result.signal))}
  })
  return {host, done, stop}
}

function parseFetch(stdout: string, stderr: string, exit: string): {game?: FetchedGame; error?: string} {
  try {
    const document = JSON.parse(stdout) as {games?: FetchedGame[]; error?: {code: string; message: string}}
    if (document.games?.[0]) return {game: document.games[0]}
    if (document.error) return {error: `${document.error.code}: ${document.error.message}`}
  } catch {
    // not one JSON document: say what it printed instead
  }
  return {error: `exit ${exit}, no JSON document; stderr: ${stderr.trim().slice(-300) || '(empty)'}`}
}

/** The status of the serve of this state folder (its control socket), or undefined when none answers. */
export async function statusOf(paths: Pick<LanspreadPaths, 'stateDir'>): Promise<Status | undefined> {
  const client = await attachToServe(paths)
  if (!client) return undefined
  try {
    return await client.call('status', {})
  } finally {
    client.close()
  }
}

/**
 * The chunk bytes a serve has handed out for the game, from its upload log (`status` on its
 * control socket, read from the bench's namespace: a Unix socket). An upload leaves the list 5 s
 * after its last chunk, so every upload seen (peer, game, start) keeps the most it showed; those
 * already there when the meter was made count only what they add.
 */
export class UploadMeter {
  private readonly seen = new Map<string, number>()
  /** Distinct chunks of the game the seed handed out to anyone, as its last status said. */
  distinctChunks = 0
  private readonly baseline = new Map<string, number>()

  private constructor(private readonly paths: {stateDir: string}) {}

  static async of(gamesDir: string): Promise<UploadMeter> {
    const meter = new UploadMeter(resolvePaths({games: gamesDir, env: {}}))
    await meter.poll()
    for (const [key, bytes] of meter.seen) meter.baseline.set(key, bytes)
    return meter
  }

  /** Reads the serve's uploads now; resolves the bytes handed out since the meter was made. */
  async poll(): Promise<number> {
    const status = await statusOf(this.paths)
    if (!status) return this.total()
    this.distinctChunks = status.served.find((game) => game.id === GAME_ID)?.chunks ?? 0
    for (const upload of status.uploads) {
      if (upload.id !== GAME_ID) continue
      const key = `${upload.peer_id} ${upload.started_at}`
      this.seen.set(key, Math.max(upload.bytes, this.seen.get(key) ?? 0))
    }
    return this.total()
  }

  total(): number {
    let sum = 0
    for (const [key, bytes] of this.seen) sum += bytes - (this.baseline.get(key) ?? 0)
    return sum
  }
}

/** Polls `meter` every `everyMs` until the returned function is called (which resolves the last total). */
export function keepPolling(meter: UploadMeter, everyMs: number): () => Promise<number> {
  let running = true
  const loop = (async () => {
    while (running) {
      await meter.poll().catch(() => undefined)
      await sleep(everyMs)
    }
  })()
  return async () => {
    running = false
    await loop
    return meter.poll().catch(() => meter.total())
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (0 once it is gone). */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100
}

/** The last download progress a fetcher's serve reported: bytes done of the total, bytes per source. */
export function lastProgress(host: Host): {done: number; total: number; sources: Map<string, number>} | undefined {
  const event = host.serve?.events.findLast((e) => e.event === 'download_progress' && e.id === GAME_ID)
  if (!event) return undefined
  const sources = Array.isArray(event.sources) ? (event.sources as {peer_id: string; bytes: number}[]) : []
  return {done: Number(event.done_bytes), total: Number(event.total_bytes), sources: new Map(sources.map((s) => [s.peer_id, Number(s.bytes)]))}
}

/**
 * One TCP stream of `bytes` from one host to another, timed by the receiver: the payload rate the
 * shaped links give, before any lanspread traffic.
 */
export async function linkCheck(lan: Lan, from: Host, to: Host, bytes: number): Promise<number> {
  const server = lan.spawn(to.node, 'node', ['-e', LINK_SERVER])
  let out = ''
  server.stdout?.on('data', (data: Buffer) => (out += data.toString()))
  const deadline = performance.now() + 30_000
  while (!out.includes('ready')) {
    if (performance.now() > deadline) throw new Error('the link check server did not start within 30 s')
    await sleep(20)
  }
  const client = await lan.exec(from.node, 'node', ['-e', LINK_CLIENT, to.node.address, String(bytes)], {timeout: 60_000})
  if (client.exitCode !== 0) throw new Error(`the link check client failed: ${client.stderr}`)
  await Promise.race([server, sleep(10_000)])
  const line = out.split('\n').find((l) => l.startsWith('{'))
  if (!line) throw new Error(`the link check server reported nothing: ${out}`)
  const {bytes: received, ms} = JSON.parse(line) as {bytes: number; ms: number}
  return (received * 8) / 1e6 / (ms / 1000)
}

const LINK_SERVER = `
const server = require('node:net').createServer((socket) => {
  let bytes = 0, first = 0
  socket.on('data', (d) => { first ||= performance.now(); bytes += d.length })
  socket.on('end', () => { process.stdout.write(JSON.stringify({bytes, ms: performance.now() - first}) + '\\n'); process.exit(0) })
})
server.listen(5201, () => process.stdout.write('ready\\n'))
setTimeout(() => process.exit(1), 60000)
`

const LINK_CLIENT = `
const [address, total] = [process.argv[1], Number(process.argv[2])]
const socket = require('node:net').connect(5201, address, () => {
  const block = Buffer.alloc(1 << 20, 7)
  let sent = 0
  const write = () => {
    while (sent < total) { sent += block.length; if (!socket.write(block)) return void socket.once('drain', write) }
    socket.end()
  }
  write()
})
socket.on('close', () => process.exit(0))
`
