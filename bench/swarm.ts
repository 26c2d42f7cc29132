// bench:swarm (root) — one seed and N fetchers of one game on a LAN of network namespaces
// whose every link is shaped both ways (tbf), as at a LAN party where everyone fetches the new
// game at once (SPEC §5.1, issue 21). Each host runs `lanspread serve` (static peers: every
// fetcher knows the seed and the other fetchers; mDNS off); a fetch is `lanspread fetch --json`
// through its host's serve. Prints T1 (one fetch alone), TN (the slowest of N fetches started
// at once), TN/T1, the Kumar–Ross lower bound, the seed's upload factor (bytes its link sent /
// the game's size) and each fetcher's sources; then "seed leaves": the seed's serve is stopped
// once it has handed out the game's bytes, and the fetchers should finish from each other.
// Targets are printed PASS/MISS and never fail the run; a harness error exits non-zero.
// Runs the built CLI (bin/run.js → dist/): the npm script builds first. Nothing leaves the
// namespaces; every process and namespace is removed at the end, on Ctrl-C and on errors.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {execa} from 'execa'
import {resolvePaths} from '../src/config.js'
import {chunkSizeFor} from '../src/library/chunk-size.js'
import {Lan, lanUnavailable} from '../test/helpers/lan.js'
import {
  type FetchOutcome,
  type FetchVia,
  GAME_ID,
  type Host,
  UploadMeter,
  cpuSeconds,
  keepPolling,
  lastProgress,
  linkCheck,
  retire,
  startFetch,
  startServe,
  statusOf,
  stopServe,
  waitForMesh,
} from '../test/helpers/swarm-hosts.js'
import {MiB, writeGame} from '../test/helpers/synthetic-game.js'

const USAGE = `npm run bench:swarm [-- OPTIONS]   (root; every option also as BENCH_SWARM_<NAME>)
  --n 6,12            fetcher counts, one round each
  --mib 128           the game's size in MiB (a multiple of 8: two files of whole chunks); the
                      issue's range is 64–128: a round's fixed start and last hop weigh less in a
                      larger game (bench/RESULTS.md, record 0041)
  --mbit 100          every host's link rate, up and down (tbf; Mbit/s = 10^6 bit/s)
  --seed-mbit MBIT    the seed's upload rate (default: --mbit)
  --runs alone,swarm,leave
  --leave-n N         fetchers of the seed-leaves round (default: the first --n)
  --leave-at every    the seed leaves once it handed out every chunk and the fetchers received all it
                      handed out ("every"), or once they received this many times the game's bytes
  --leave-timeout 60  seconds the fetchers get after the seed left
  --gso on            off: GSO off on every veth end (ip link … gso_max_segs 1)
  --via control       how each fetch starts: "control", a fetch call on its serve's control socket
                      from the bench; "cli", \`lanspread fetch --json\` in its namespace (N processes
                      starting at once take the 2 cores from the serves for ~1 s)
BENCH_SWARM_TRACE=1 prints each fetcher's MiB done (and from the seed) every 0.25 s of a swarm
round, and traces the seed-leaves round (bytes received from the seed, held), on stderr`

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The seed leaves at the latest this long after its last new chunk went out: those bytes have landed by then. */
const LEAVE_SETTLE_MS = 1_000

interface Settings {
  sizes: number[]
  mib: number
  mbit: number
  seedMbit: number
  runs: Set<string>
  leaveN: number
  leaveAt: number
  leaveTimeoutS: number
  gso: boolean
  via: FetchVia
}

function settings(): Settings {
  const env = (name: string, fallback: string): string => process.env[`BENCH_SWARM_${name.toUpperCase().replaceAll('-', '_')}`] ?? fallback
  const names = ['n', 'mib', 'mbit', 'seed-mbit', 'runs', 'leave-n', 'leave-at', 'leave-timeout', 'gso', 'via'] as const
  const defaults: Record<(typeof names)[number], string> = {
    n: '6,12',
    mib: '128',
    mbit: '100',
    'seed-mbit': '',
    runs: 'alone,swarm,leave',
    'leave-n': '',
    'leave-at': 'every',
    'leave-timeout': '60',
    gso: 'on',
    via: 'control',
  }
  const {values}: {values: Record<string, string | boolean | undefined>} = parseArgs({
    options: {help: {type: 'boolean'}, ...Object.fromEntries(names.map((name) => [name, {type: 'string' as const, default: env(name, defaults[name])}]))},
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const value = (name: (typeof names)[number]): string => String(values[name])
  const sizes = value('n').split(',').map(Number)
  const s: Settings = {
    sizes,
    mib: Number(value('mib')),
    mbit: Number(value('mbit')),
    seedMbit: Number(value('seed-mbit') || value('mbit')),
    runs: new Set(value('runs').split(',')),
    leaveN: Number(value('leave-n') || sizes[0]),
    leaveAt: value('leave-at') === 'every' ? 0 : Number(value('leave-at')),
    leaveTimeoutS: Number(value('leave-timeout')),
    gso: value('gso') !== 'off',
    via: value('via') === 'cli' ? 'cli' : 'control',
  }
  const whole = [...s.sizes, s.leaveN, s.mib].every((n) => Number.isInteger(n) && n > 0)
  const positive = [s.mbit, s.seedMbit, s.leaveTimeoutS].every((n) => Number.isFinite(n) && n > 0) && Number.isFinite(s.leaveAt) && s.leaveAt >= 0
  const runsKnown = [...s.runs].every((run) => ['alone', 'swarm', 'leave'].includes(run)) && ['cli', 'control'].includes(value('via'))
  if (!whole || !positive || !runsKnown || s.mib % 8 !== 0 || Math.max(...s.sizes, s.leaveN) > 100) {
    throw new Error(
      `bad options (N and MiB whole numbers, MiB a multiple of 8, N ≤ 100; rates, --leave-at and timeouts positive; --via cli or control)\n${USAGE}`,
    )
  }
  return s
}

interface Verdict {
  what: string
  pass: boolean
  detail: string
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`
const verdictText = (pass: boolean): string => (pass ? 'PASS' : 'MISS')

interface RoundResult {
  outcomes: FetchOutcome[]
  /** What the seed's link sent, and what its upload log handed out, during the round. */
  txBytes: number
  payloadBytes: number
  meshMs: number
  cpu: string
  /** Between the first and the last download's start in the fetchers' serves, and from the first start to the last end. */
  spreadMs: number
  makespanMs: number
}

class SwarmBench {
  readonly verdicts: Verdict[] = []
  /** Harness errors (a serve that did not start, a plain fetch that failed): the exit code says so. */
  readonly errors: string[] = []
  private t1Ms: number | undefined
  private seedDir = ''
  private gameBytes = 0

  constructor(
    private readonly lan: Lan,
    private readonly s: Settings,
    private readonly seed: Host,
    private readonly fetchers: Host[],
  ) {}

  /** Bytes per second of the seed's upload and of every other link. */
  private get rates(): {us: number; u: number; d: number} {
    return {us: (this.s.seedMbit * 1e6) / 8, u: (this.s.mbit * 1e6) / 8, d: (this.s.mbit * 1e6) / 8}
  }

  /** Kumar & Ross (2006): N fetchers need at least max(F/u_s, F/d, N·F/(u_s + N·u)). */
  private bound(n: number): {ms: number; terms: number[]} {
    const {us, u, d} = this.rates
    const F = this.gameBytes
    const terms = [F / us, F / d, (n * F) / (us + n * u)].map((t) => t * 1000)
    return {ms: Math.max(...terms), terms}
  }

  /** What a round of N may take at most: main's behaviour (the seed's uplink shared N ways) four times over, plus a minute. */
  private fetchBoundMs(n: number): number {
    return 60_000 + 4 * n * (this.gameBytes / this.rates.us) * 1000
  }

  async prepare(): Promise<void> {
    const {lan, s} = this
    await lan.shape(this.seed.node, {upMbit: s.seedMbit, downMbit: s.mbit, gso: s.gso})
    for (const host of this.fetchers) await lan.shape(host.node, {upMbit: s.mbit, downMbit: s.mbit, gso: s.gso})
    this.seedDir = await lan.tempDir('lanspread-swarm-seed-')
    const files = await writeGame(path.join(this.seedDir, GAME_ID), 2, s.mib, '1.0')
    await fs.writeFile(path.join(this.seedDir, 'catalog.json'), JSON.stringify([{id: GAME_ID, name: 'Big game'}]))
    this.gameBytes = files.reduce((sum, file) => sum + file.size, 0) + '1.0\n'.length
    const checkMbit = await linkCheck(lan, this.seed, this.fetchers[0]!, Math.min(this.gameBytes, 16 * MiB))
    const load = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')
    console.log(
      `bench:swarm — one seed and N fetchers of a ${s.mib} MiB game (F = ${this.gameBytes.toLocaleString('en')} bytes, ${(s.mib * MiB) / chunkSizeFor(s.mib * MiB)} chunks of ${chunkSizeFor(s.mib * MiB) / MiB} MiB) ` +
        `on a LAN of network namespaces; every link shaped with tbf both ways at ${s.mbit} Mbit/s (the seed's upload ${s.seedMbit} Mbit/s), ` +
        `burst 256 KiB, GSO ${s.gso ? 'on' : 'off'}; static peers, mDNS off; fetches via ${s.via === 'cli' ? '`lanspread fetch --json`' : 'the control socket'}; ${os.cpus().length} cores, load ${load}; MB = 10^6 bytes`,
    )
    console.log(`link check: one TCP stream seed → f1 carried ${checkMbit.toFixed(1)} Mbit/s of payload (tbf rate ${Math.min(s.seedMbit, s.mbit)} Mbit/s)`)
    console.log('')
    await startServe(lan, this.seed, this.seedDir, [], 60_000)
  }

  /** N fetchers with fresh folders, their serves up and each knowing the seed's library and the other fetchers. */
  private async startRound(n: number): Promise<{group: Host[]; meshMs: number}> {
    const group = this.fetchers.slice(0, n)
    process.stderr.write(`starting ${n} fetcher serve${n === 1 ? '' : 's'}…\n`)
    for (const host of group) host.dir = await this.lan.gamesFolder([])
    await Promise.all(group.map((host) => startServe(this.lan, host, host.dir!, [this.seed, ...group.filter((other) => other !== host)], 60_000 + 5_000 * n)))
    return {group, meshMs: await waitForMesh(this.seed, group, 60_000)}
  }

  private names(): Map<string, string> {
    return new Map([this.seed, ...this.fetchers].filter((h) => h.serve).map((h) => [h.serve!.peerId, h.name]))
  }

  private sourcesText(outcome: FetchOutcome, names: Map<string, string>): string {
    if (!outcome.game) return `FAILED: ${named(outcome.error ?? '', names)}`
    const sources = outcome.game.sources.map((source) => `${names.get(source.peer_id) ?? source.peer_id.slice(0, 8)} ${mib(source.bytes)}`)
    const retried = outcome.game.retried_chunks > 0 ? `; ${outcome.game.retried_chunks} chunks retried` : ''
    return `${seconds(outcome.game.elapsed_ms).padStart(9)}   from ${sources.join(', ')}${retried}`
  }

  /** One round: N fetches at once; TN, the seed's bytes, each fetcher's sources. */
  private async round(n: number): Promise<RoundResult | undefined> {
    const {group, meshMs} = await this.startRound(n)
    try {
      const tx0 = (await this.lan.counters(this.seed.node)).tx
      const meter = await UploadMeter.of(this.seedDir)
      const cpu0 = await Promise.all([this.seed, ...group].map((h) => cpuSeconds(h.serve?.child.pid)))
      const traffic0 = process.env.BENCH_SWARM_TRACE ? await trafficOf(group[0]!) : undefined
      const stopMeter = keepPolling(meter, 250)
      process.stderr.write(`${n} fetch${n === 1 ? '' : 'es'} running…\n`)
      const outcomes = await Promise.all(group.map((host) => startFetch(this.lan, host, this.fetchBoundMs(n), this.s.via).done))
      const payloadBytes = await stopMeter()
      const txBytes = (await this.lan.counters(this.seed.node)).tx - tx0
      const cpu1 = await Promise.all([this.seed, ...group].map((h) => cpuSeconds(h.serve?.child.pid)))
      const used = cpu1.map((c, i) => c - cpu0[i]!)
      const cpu = `CPU in the round: the seed's serve ${used[0]!.toFixed(1)} s, each fetcher's serve ${(used.slice(1).reduce((a, b) => a + b, 0) / n).toFixed(1)} s on average; load ${os.loadavg()[0]!.toFixed(1)}`
      const names = this.names()
      for (const outcome of outcomes) console.log(`  ${outcome.host.name.padEnd(4)} ${this.sourcesText(outcome, names)}`)
      const failed = outcomes.filter((o) => !o.game)
      if (failed.length > 0) {
        this.errors.push(`N=${n}: ${failed.length} of ${n} fetches failed (${failed.map((o) => `${o.host.name}: ${o.error}`).join('; ')})`)
        return undefined
      }
      // Read before the serves retire: when each download started and ended in its serve.
      const ends = group.map((host) => eventAt(host, 'operation_finished'))
      const starts = outcomes.map((o, i) => ends[i]! - o.game!.elapsed_ms)
      if (process.env.BENCH_SWARM_TRACE) {
        traceTimeline(group, Math.min(...starts), this.seed)
        const traffic1 = await trafficOf(group[0]!)
        process.stderr.write(
          `f1 peer-transport traffic in the round: ${JSON.stringify(Object.fromEntries(Object.entries(traffic1).map(([k, v]) => [k, v - (traffic0?.[k] ?? 0)])))}\n`,
        )
      }
      return {
        outcomes,
        txBytes,
        payloadBytes,
        meshMs,
        cpu,
        spreadMs: Math.max(...starts) - Math.min(...starts),
        makespanMs: Math.max(...ends) - Math.min(...starts),
      }
    } finally {
      await retire(group)
    }
  }

  /** T1: one fetcher alone, twice (the first GetGame makes the seed hash the game; the second is T1). */
  async alone(): Promise<void> {
    console.log('T1, one fetcher alone (fresh folders each run):')
    for (const run of [1, 2]) {
      const result = await this.round(1)
      if (!result) return
      const ms = result.outcomes[0]!.game!.elapsed_ms
      const bound = this.bound(1).ms
      if (run === 1) console.log(`  run 1 (the seed hashed the game on its first GetGame): ${seconds(ms)}`)
      else {
        this.t1Ms = ms
        console.log(`  T1 = ${seconds(ms)} (the lower bound F/min(u_s, d) = ${seconds(bound)}; ${(ms / bound).toFixed(2)}× it); ${result.cpu}`)
      }
    }
    console.log('')
  }

  async swarm(n: number): Promise<void> {
    console.log(`N=${n}, every fetch started at once (fetch: the fetcher's serve's elapsed time; sources):`)
    const result = await this.round(n)
    if (!result) return console.log('')
    const {outcomes, txBytes, payloadBytes, spreadMs, makespanMs} = result
    const tn = Math.max(...outcomes.map((o) => o.game!.elapsed_ms))
    const bound = this.bound(n)
    const F = this.gameBytes
    console.log(
      `  TN = ${seconds(tn)} (the slowest fetch); the downloads started within ${seconds(spreadMs)} of each other (each CLI's start-up on ${os.cpus().length} cores), the last ended ${seconds(makespanMs)} after the first started`,
    )
    console.log(
      `  Kumar–Ross bound max(F/u_s, F/d, N·F/(u_s + N·u)) = max(${bound.terms.map((t) => (t / 1000).toFixed(2)).join(', ')}) = ${seconds(bound.ms)}; TN = ${(tn / bound.ms).toFixed(2)}× it`,
    )
    const target = n <= 6 ? 1.2 : 1.3
    if (this.t1Ms !== undefined) {
      const ratio = tn / this.t1Ms
      console.log(`  TN/T1 = ${ratio.toFixed(2)}   target ≤ ${target}   ${verdictText(ratio <= target)}`)
      this.verdicts.push({what: `TN/T1 at N=${n} ≤ ${target}`, pass: ratio <= target, detail: ratio.toFixed(2)})
    } else console.log('  TN/T1: no T1 in this run (--runs without alone)')
    const factor = txBytes / F
    console.log(
      `  seed upload factor = ${factor.toFixed(2)} (its link sent ${(txBytes / 1e6).toFixed(1)} MB; its upload log ${(payloadBytes / F).toFixed(2)}× F in chunk bytes)   target ≤ 1.2   ${verdictText(factor <= 1.2)}`,
    )
    this.verdicts.push({what: `seed upload factor at N=${n} ≤ 1.2`, pass: factor <= 1.2, detail: factor.toFixed(2)})
    console.log(`  fetchers met in ${seconds(result.meshMs)} before the fetches; ${result.cpu}`)
    console.log('')
  }

  /**
   * Seed leaves: the seed's serve is stopped (SIGTERM: it says goodbye) once it has sent every
   * chunk once — its status counts the distinct chunks it handed out, and the fetchers' progress
   * says they received all it handed out, or LEAVE_SETTLE_MS passed since the last new chunk went
   * out (a reply that lost to another source's is handed out but never counted as received) — or,
   * with `--leave-at X`, once they received X × F from it. The fetchers then get
   * `--leave-timeout` seconds to finish from each other.
   */
  private leaveRule(): string {
    if (this.s.leaveAt > 0) return `the fetchers received ${this.s.leaveAt}× F from it`
    return `it handed out every chunk of the game once and the fetchers received all it handed out (or ${LEAVE_SETTLE_MS} ms passed since)`
  }

  /**
   * Whether the seed has sent what the leave rule asks; `received`: what the fetchers got from it;
   * `round.allHandedOutAt`: when it had handed out every chunk once (set here).
   */
  private async seedMayLeave(meter: UploadMeter, received: number, round: {allHandedOutAt?: number}): Promise<boolean> {
    if (this.s.leaveAt > 0) return received >= this.gameBytes * this.s.leaveAt
    const handedOut = await meter.poll()
    // The game: whole chunks in its payload files, and version.ini (one chunk).
    const chunks = (this.s.mib * MiB) / chunkSizeFor(this.s.mib * MiB) + 1
    if (meter.distinctChunks < chunks) return false
    round.allHandedOutAt ??= performance.now()
    return received >= handedOut || performance.now() - round.allHandedOutAt >= LEAVE_SETTLE_MS
  }

  async leave(n: number): Promise<void> {
    console.log(`seed leaves, N=${n}: the seed's serve stops once ${this.leaveRule()}; do they finish from each other?`)
    const {group} = await this.startRound(n)
    const F = this.gameBytes
    const round: {allHandedOutAt?: number} = {}
    try {
      const tx0 = (await this.lan.counters(this.seed.node)).tx
      const meter = await UploadMeter.of(this.seedDir)
      const started = performance.now()
      const running = group.map((host) => startFetch(this.lan, host, this.fetchBoundMs(n), this.s.via))
      let ended = false
      const all = Promise.all(running.map((r) => r.done)).finally(() => (ended = true))
      // What the fetchers received from the seed, verified and written (their serves' progress
      // events): the seed's upload log counts a chunk when it is read, up to ~100 MiB ahead of
      // the wire at N=6, and its link's counters include headers; neither says what arrived.
      const seedId = this.seed.serve!.peerId
      let left: {at: number; received: number; payload: number; tx: number} | undefined
      while (!ended && !left && performance.now() - started < this.fetchBoundMs(n)) {
        const received = group.reduce((sum, host) => sum + (lastProgress(host)?.sources.get(seedId) ?? 0), 0)
        if (process.env.BENCH_SWARM_TRACE) {
          const have = group.map((h) => mib(lastProgress(h)?.done ?? 0)).join(', ')
          process.stderr.write(`${seconds(performance.now() - started)}: received from the seed ${mib(received)}; the fetchers have ${have}\n`)
        }
        if (await this.seedMayLeave(meter, received, round)) {
          left = {at: performance.now(), received, payload: meter.total(), tx: (await this.lan.counters(this.seed.node)).tx - tx0}
        } else await sleep(50)
      }
      if (!left) {
        await all
        this.errors.push(`seed leaves, N=${n}: the seed never got to leave (${this.leaveRule()}); the fetches ended first`)
        return console.log('')
      }
      const names = this.names()
      await stopServe(this.seed)
      const firstStart = Math.min(...group.map((host) => eventAt(host, 'operation_started')))
      console.log(
        `  the seed left ${seconds(left.at - firstStart)} after the first download started (${seconds(left.at - started)} after the fetch commands were spawned), ` +
          `once the fetchers had received ${mib(left.received)} from it (${(left.received / F).toFixed(2)}× F); by then its link had sent ${(left.tx / 1e6).toFixed(1)} MB and its upload log had handed out ${(left.payload / F).toFixed(2)}× F`,
      )
      const timer = setTimeout(() => running.forEach((r) => r.stop()), this.s.leaveTimeoutS * 1000)
      const outcomes = await all
      clearTimeout(timer)
      for (const outcome of outcomes) {
        const when = outcome.endedAt - left.at
        const after = when < 0 ? `${seconds(-when)} before` : `${seconds(when)} after`
        const had = lastProgress(outcome.host)
        const progress = had ? ` (had ${mib(had.done)} of ${mib(had.total)})` : ''
        const text = outcome.game
          ? `completed ${after} the seed left: ${this.sourcesText(outcome, names).trim()}`
          : `did not complete, ended ${after} the seed left${progress}: ${named(outcome.error ?? '', names)}`
        console.log(`  ${outcome.host.name.padEnd(4)} ${text}`)
      }
      const completed = outcomes.filter((o) => o.game).length
      const pass = completed === n
      console.log(`  every fetcher completes from the others within ${this.s.leaveTimeoutS} s: ${verdictText(pass)} (${completed} of ${n} completed)`)
      this.verdicts.push({what: `seed leaves at N=${n}: every fetcher completes`, pass, detail: `${completed} of ${n}`})
    } finally {
      await retire(group)
    }
    console.log('')
  }
}

/** The text with every peer_id it names replaced by the host's name (seed, f1, …). */
function named(text: string, names: Map<string, string>): string {
  let out = text
  for (const [peerId, name] of names) out = out.replaceAll(peerId, name)
  return out
}

/**
 * BENCH_SWARM_TRACE: each fetcher's MiB done (and from the seed) every 0.25 s from the first
 * download's start, their sum, when each source first delivered, and serve's log lines about
 * sources (stderr).
 */
function traceTimeline(group: readonly Host[], t0: number, seed: Host): void {
  const sums: [number, number][] = []
  const progressAt = group.flatMap((host) => (host.serve?.events ?? []).filter((e) => e.event === 'download_progress').map((e) => e.at - t0))
  const latest = Math.max(0, ...progressAt)
  for (const host of group) {
    const progress = (host.serve?.events ?? []).filter((e) => e.event === 'download_progress' && e.id === GAME_ID)
    const cells: string[] = []
    for (let t = 250; t <= 30_000 && t <= latest + 250; t += 250) {
      const last = progress.findLast((e) => e.at - t0 <= t)
      if (!last) {
        cells.push('  .')
        continue
      }
      const sources = Array.isArray(last.sources) ? (last.sources as {peer_id: string; bytes: number}[]) : []
      const fromSeed = sources.find((s) => s.peer_id === seed.serve?.peerId)?.bytes ?? 0
      const k = t / 250 - 1
      sums[k] = [(sums[k]?.[0] ?? 0) + Number(last.done_bytes), (sums[k]?.[1] ?? 0) + fromSeed]
      cells.push(`${String(Math.round(Number(last.done_bytes) / MiB)).padStart(3)}/${String(Math.round(fromSeed / MiB)).padStart(2)}`)
    }
    process.stderr.write(`${host.name.padEnd(4)} ${cells.join(' ')}\n`)
    const seen = new Map<string, [number, number]>()
    for (const e of progress) {
      for (const source of (e.sources ?? []) as {peer_id: string; bytes: number}[]) {
        const known = seen.get(source.peer_id) ?? [e.at - t0, Number.NaN]
        if (source.bytes > 0 && Number.isNaN(known[1])) known[1] = e.at - t0
        seen.set(source.peer_id, known)
      }
    }
    const notes = (host.serve?.stderr() ?? '').split('\n').filter((line) => /source|fell back|dropped|joined|left the/.test(line))
    for (const line of notes.slice(0, 40)) process.stderr.write(`  ${host.name} log: ${line}\n`)
    process.stderr.write(
      `  sources (joined/first bytes, s): ${[...seen].map(([peer, [a, b]]) => `${peer.slice(0, 4)} ${(a / 1000).toFixed(2)}/${(b / 1000).toFixed(2)}`).join(', ')}\n`,
    )
  }
  process.stderr.write(
    `sum  ${sums.map((c) => (c ? `${String(Math.round(c[0] / MiB)).padStart(3)}/${String(Math.round(c[1] / MiB)).padStart(2)}` : '  .')).join(' ')}\n`,
  )
}

/** A serve's peer-transport traffic counters (status), for the trace. */
async function trafficOf(host: Host): Promise<Record<string, number>> {
  return (await statusOf(resolvePaths({games: host.dir!, env: {}})))?.traffic ?? {}
}

/** When (performance.now()) a host's serve reported this operation event for the game. */
function eventAt(host: Host, event: string): number {
  const found = host.serve?.events.find((e) => e.event === event && e.id === GAME_ID)
  return found ? found.at : Number.NaN
}

async function run(s: Settings, lanReady: (lan: Lan) => void): Promise<SwarmBench> {
  const lan = await Lan.create()
  lanReady(lan)
  const rounds = [...(s.runs.has('swarm') ? s.sizes : []), ...(s.runs.has('leave') ? [s.leaveN] : []), 1]
  const seed: Host = {name: 'seed', node: await lan.addNode()}
  const fetchers: Host[] = []
  for (let i = 1; i <= Math.max(...rounds); i++) fetchers.push({name: `f${i}`, node: await lan.addNode()})
  const bench = new SwarmBench(lan, s, seed, fetchers)
  await bench.prepare()
  if (s.runs.has('alone')) await bench.alone()
  if (s.runs.has('swarm')) for (const n of s.sizes) await bench.swarm(n)
  // Last: the seed is gone afterwards.
  if (s.runs.has('leave')) await bench.leave(s.leaveN)
  return bench
}

const s = settings()
const unavailable =
  (await lanUnavailable()) ?? ((await execa('tc', ['-V'], {reject: false})).exitCode === 0 ? undefined : 'the `tc` command (iproute2) is missing')
if (unavailable) {
  process.stderr.write(`bench:swarm cannot run: ${unavailable}\n`)
  process.exit(2)
}

let lan: Lan | undefined
let cleaning: Promise<void> | undefined
let interrupted = false
/** Every process of every namespace killed, the namespaces and temp folders removed; at most once. */
const cleanup = (): Promise<void> => (cleaning ??= lan ? Promise.race([lan.destroy(), sleep(60_000)]) : Promise.resolve())
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener is left for, killing the process mid-cleanup.
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    process.stderr.write(`\nbench:swarm: ${signal}: stopping every process, removing the namespaces…\n`)
    void cleanup().finally(() => process.exit(130))
  })
}

let exitCode = 0
try {
  const bench = await run(s, (made) => (lan = made))
  console.log('targets (issue 21):')
  for (const v of bench.verdicts) console.log(`  ${verdictText(v.pass)}  ${v.what}: ${v.detail}`)
  for (const error of bench.errors) console.log(`  ERROR  ${error}`)
  if (bench.errors.length > 0) exitCode = 1
} catch (error) {
  // Interrupted: what fails while the processes are being killed is no news.
  if (!interrupted) process.stderr.write(`bench:swarm failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  exitCode = 1
} finally {
  await cleanup()
}
process.exit(interrupted ? 130 : exitCode)
