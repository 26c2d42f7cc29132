// bench:lan — discovery on a LAN of real peers in network namespaces (root only): the time
// until every peer knows every other peer and its library, for N = 10, 20, 40, and the mDNS
// packets and bytes per peer per minute at rest, counted by an observer namespace on the
// same bridge (every multicast packet is flooded to it). Nothing leaves the namespaces.
import {Lan, type LanPeer, converge, lanUnavailable} from '../test/helpers/lan.js'

const SIZES = (process.env.LANSPREAD_BENCH_SIZES ?? '10,20,40').split(',').map(Number)
/** Rest starts once the browse backoff reached its 60 s ceiling (1+2+…+32 s) and announcements ended. */
const WARMUP_S = Number(process.env.LANSPREAD_BENCH_WARMUP_S ?? 70)
const REST_S = Number(process.env.LANSPREAD_BENCH_REST_S ?? 60)
const GAMES_PER_PEER = Number(process.env.LANSPREAD_BENCH_GAMES ?? 3)

/** serve's default liveness (ping after 30 s of quiet, stale after 90 s): the tests' short timings would load 2 cores with pings. */
const DEFAULT_TIMINGS = {LANSPREAD_PING_AFTER_MS: '30000', LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_REQUEST_TIMEOUT_MS: '10000', LANSPREAD_LIVENESS_TICK_MS: '1000'}

const OBSERVER = `
const dgram = require('node:dgram')
const socket = dgram.createSocket({type: 'udp4', reuseAddr: true})
let packets = 0, bytes = 0
socket.on('message', (message) => { packets++; bytes += message.length + 28 })
socket.bind(5353, '0.0.0.0', () => { socket.addMembership('224.0.0.251', process.argv[1]); process.stdout.write('ready\\n') })
setTimeout(() => { process.stdout.write(JSON.stringify({packets, bytes}) + '\\n'); process.exit(0) }, Number(process.argv[2]) * 1000)
`

async function measure(n: number): Promise<{n: number; convergeMs: number; startMs: number; packetsPerPeerMin: number; bytesPerPeerMin: number}> {
  const lan = await Lan.create()
  try {
    const nodes = []
    for (let i = 0; i < n; i++) nodes.push(await lan.addNode())
    const folders = await Promise.all(nodes.map((node) => lan.gamesFolder(Array.from({length: GAMES_PER_PEER}, (_, g) => `g${node.index}-${g}`))))
    const started = Date.now()
    // Started together, as machines switched on for a LAN party; 2 cores start them slowly.
    const peers: LanPeer[] = await Promise.all(nodes.map((node, i) => lan.startServe(node, folders[i]!, [], DEFAULT_TIMINGS)))
    const lastListening = Date.now()
    const convergeMs = await converge(peers, () => GAMES_PER_PEER, 180_000)
    const observerNode = await lan.addNode()
    const wait = Math.max(0, WARMUP_S * 1000 - (Date.now() - started))
    await new Promise((resolve) => setTimeout(resolve, wait))
    const observer = await lan.exec(observerNode, 'node', ['-e', OBSERVER, observerNode.address, String(REST_S)], {timeout: (REST_S + 30) * 1000})
    const counts = JSON.parse(String(observer.stdout).split('\n').filter(Boolean).at(-1) ?? '{}') as {packets: number; bytes: number}
    return {n, convergeMs, startMs: lastListening - started, packetsPerPeerMin: (counts.packets / n) * (60 / REST_S), bytesPerPeerMin: (counts.bytes / n) * (60 / REST_S)}
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
  process.stdout.write(
    `N=${r.n}: all ${r.n} started in ${(r.startMs / 1000).toFixed(1)} s; converged ${(r.convergeMs / 1000).toFixed(2)} s after the last one listened; ` +
      `at rest ${r.packetsPerPeerMin.toFixed(1)} mDNS packets and ${Math.round(r.bytesPerPeerMin)} bytes (IP+UDP+DNS) per peer per minute\n`,
  )
}
