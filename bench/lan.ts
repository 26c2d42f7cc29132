// bench:lan — discovery on a LAN of real peers in network namespaces (root only): the time
// until every peer knows every other peer and its library, for N = 10, 20, 40, measured from
// the moment every serve reported ready (discovery + sync) and from the spawn (with node's
// start-up), the CPU the peers spent, the connection churn, and the mDNS packets and bytes
// per peer per minute at rest, counted by an observer namespace on the same bridge (every
// multicast packet is flooded to it). Nothing leaves the namespaces.
import fs from 'node:fs/promises'
import os from 'node:os'
import {Lan, type LanPeer, converge, lanUnavailable} from '../test/helpers/lan.js'

const SIZES = (process.env.LANSPREAD_BENCH_SIZES ?? '10,20,40').split(',').map(Number)
/** Rest starts once the browse backoff reached its 60 s ceiling (1+2+…+32 s) and announcements ended. */
const WARMUP_S = Number(process.env.LANSPREAD_BENCH_WARMUP_S ?? 70)
const REST_S = Number(process.env.LANSPREAD_BENCH_REST_S ?? 60)
const GAMES_PER_PEER = Number(process.env.LANSPREAD_BENCH_GAMES ?? 3)
const CONVERGE_BOUND_MS = 180_000
/** Every serve must report ready within this (node start-up of N processes at once on 2 cores). */
const READY_BOUND_MS = 180_000
/** Where each peer's events and stderr are kept, for a look at what it did (optional). */
const LOG_DIR = process.env.LANSPREAD_BENCH_LOGS

/** serve's default liveness and redial timings: the tests' short ones would load 2 cores with pings. */
const DEFAULT_TIMINGS = {
  LANSPREAD_PING_AFTER_MS: '30000',
  LANSPREAD_STALE_AFTER_MS: '90000',
  LANSPREAD_REQUEST_TIMEOUT_MS: '10000',
  LANSPREAD_LIVENESS_TICK_MS: '1000',
  LANSPREAD_REDIAL_MIN_MS: '1000',
  LANSPREAD_REDIAL_MAX_MS: '30000',
  LANSPREAD_TRACE: process.env.LANSPREAD_TRACE ?? '',
}

const OBSERVER = `
const dgram = require('node:dgram')
const socket = dgram.createSocket({type: 'udp4', reuseAddr: true})
let packets = 0, bytes = 0
socket.on('message', (message) => { packets++; bytes += message.length + 28 })
socket.bind(5353, '0.0.0.0', () => { socket.addMembership('224.0.0.251', process.argv[1]); process.stdout.write('ready\\n') })
setTimeout(() => { process.stdout.write(JSON.stringify({packets, bytes}) + '\\n'); process.exit(0) }, Number(process.argv[2]) * 1000)
`

interface Result {
  n: number
  /** Spawn of the first serve → the last `listening`. */
  startMs: number
  /** The last `listening` → every peer knows every other and its games. */
  convergeMs: number
  cpuAtReadyS: number
  cpuAtConvergedS: number
  load: number
  counts: Record<string, number>
  packetsPerPeerMin: number
  bytesPerPeerMin: number
}

/** CPU seconds (user + system) a process used so far, from /proc. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100
}

async function totalCpu(peers: readonly LanPeer[]): Promise<number> {
  const each = await Promise.all(peers.map((peer) => cpuSeconds(peer.child.pid)))
  return each.reduce((a, b) => a + b, 0)
}

/** What the peers did until convergence: events, and (with LANSPREAD_TRACE=1) connection and mDNS traces. */
function countActivity(peers: readonly LanPeer[]): Record<string, number> {
  const counts: Record<string, number> = {}
  const add = (key: string): void => void (counts[key] = (counts[key] ?? 0) + 1)
  for (const peer of peers) {
    for (const event of peer.events) {
      if (event.event === 'peer_lost') add('peer_lost')
      if (event.event === 'peer_library_changed') add(`library_${String(event.outcome)}`)
    }
    for (const line of peer.stderr().split('\n')) {
      const match = /^TRACE \d+ (\S+)/.exec(line)
      if (match) add(match[1]!)
      else if (line.startsWith('warning:')) add('warnings')
    }
  }
  return counts
}

async function keepLogs(peers: readonly LanPeer[], dir: string): Promise<void> {
  await fs.mkdir(dir, {recursive: true})
  for (const peer of peers) {
    await fs.writeFile(`${dir}/${peer.node.ns}.events`, peer.events.map((event) => JSON.stringify(event)).join('\n'))
    await fs.writeFile(`${dir}/${peer.node.ns}.stderr`, peer.stderr())
  }
}

async function measure(n: number): Promise<Result> {
  const lan = await Lan.create()
  try {
    const nodes = []
    for (let i = 0; i < n; i++) nodes.push(await lan.addNode())
    const folders = await Promise.all(nodes.map((node) => lan.gamesFolder(Array.from({length: GAMES_PER_PEER}, (_, g) => `g${node.index}-${g}`))))
    const spawned = Date.now()
    // Started together, as machines switched on for a LAN party; 2 cores start them slowly.
    const peers: LanPeer[] = await Promise.all(nodes.map((node, i) => lan.startServe(node, folders[i]!, [], DEFAULT_TIMINGS, READY_BOUND_MS)))
    const allReady = Date.now()
    const cpuAtReadyS = await totalCpu(peers)
    const convergeMs = await converge(peers, () => GAMES_PER_PEER, CONVERGE_BOUND_MS)
      .catch(async (error: unknown) => {
        // What the peers spent and did is evidence too when they did not converge.
        const cpu = (await totalCpu(peers)) - cpuAtReadyS
        const activity = Object.entries(countActivity(peers))
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
        throw new Error(
          `${error instanceof Error ? error.message.slice(0, 300) : String(error)} … (start-up ${((allReady - spawned) / 1000).toFixed(1)} s, ${cpuAtReadyS.toFixed(1)} s CPU; then ${cpu.toFixed(1)} s CPU, load ${os.loadavg()[0]!.toFixed(1)}; ${activity})`,
        )
      })
      .finally(() => (LOG_DIR ? keepLogs(peers, `${LOG_DIR}/n${n}`) : undefined))
    const cpuAtConvergedS = await totalCpu(peers)
    const load = os.loadavg()[0]!
    const counts = countActivity(peers)
    const observerNode = await lan.addNode()
    const wait = Math.max(0, WARMUP_S * 1000 - (Date.now() - spawned))
    await new Promise((resolve) => setTimeout(resolve, wait))
    const observer = await lan.exec(observerNode, 'node', ['-e', OBSERVER, observerNode.address, String(REST_S)], {timeout: (REST_S + 30) * 1000})
    const rest = JSON.parse(String(observer.stdout).split('\n').filter(Boolean).at(-1) ?? '{}') as {packets: number; bytes: number}
    return {
      n,
      startMs: allReady - spawned,
      convergeMs,
      cpuAtReadyS,
      cpuAtConvergedS,
      load,
      counts,
      packetsPerPeerMin: (rest.packets / n) * (60 / REST_S),
      bytesPerPeerMin: (rest.bytes / n) * (60 / REST_S),
    }
  } finally {
    await lan.destroy()
  }
}

const unavailable = await lanUnavailable()
if (unavailable) {
  process.stdout.write(`bench:lan skipped: ${unavailable}\n`)
  process.exit(0)
}
process.stdout.write(`bench:lan: N peers with ${GAMES_PER_PEER} games each; rest = ${REST_S} s after ${WARMUP_S} s of warm-up\n`)
for (const n of SIZES) {
  const r = await measure(n).catch((error: unknown) => {
    process.stdout.write(`N=${n}: ${error instanceof Error ? error.message : String(error)}\n`)
    return undefined
  })
  if (!r) continue
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`
  process.stdout.write(
    `N=${r.n}: converged ${s(r.convergeMs)} after all ${r.n} were ready (discovery + sync); ${s(r.startMs + r.convergeMs)} from the spawn (start-up ${s(r.startMs)}); ` +
      `CPU of the peers ${r.cpuAtReadyS.toFixed(1)} s until ready, ${(r.cpuAtConvergedS - r.cpuAtReadyS).toFixed(1)} s from ready to converged (load ${r.load.toFixed(1)}); ` +
      `at rest ${r.packetsPerPeerMin.toFixed(1)} mDNS packets and ${Math.round(r.bytesPerPeerMin)} bytes (IP+UDP+DNS) per peer per minute\n` +
      `  activity until converged: ${
        Object.entries(r.counts)
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }\n`,
  )
}
