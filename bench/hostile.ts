// bench:hostile — a real `serve` on 127.0.0.1 with a game of BENCH_HOSTILE_MIB (32) MiB, attacked
// as SPEC §4.6 "Fairness" says it must withstand, measured in one run: (a) a legitimate fetch
// alone; (b) the same fetch while 500 idle TCP connections to the bulk port (from 127.0.0.2) and
// 300 stalled chunk requests from 5 peer_ids on one address (127.0.0.3) are held, and again with
// the stalled chunks only; (c, measured before b) serve's CPU time and RSS while six maximum-size (8 MiB) frames of
// tiny JSON objects arrive at once, from strangers (Hello) and from an admitted peer (LibraryDelta).
// Runs the built CLI (bin/run.js → dist/): the npm script builds first. Figures, not assertions.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes, randomUUID} from 'node:crypto'
import {readFileSync, rmSync} from 'node:fs'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {resolvePaths} from '../src/config.js'
import {StaticPeers} from '../src/discovery/static-peers.js'
import {PeerRuntime} from '../src/peer/runtime.js'
import {runtimeSettings} from '../src/peer/settings.js'
import {FrameReader} from '../src/protocol/frame-reader.js'
import {encodeFrame} from '../src/protocol/framing.js'
import {loadOrCreateCertificate} from '../src/transport/certs.js'
import type {PeerConnection} from '../src/transport/endpoint.js'
import {QuicEndpoint} from '../src/transport/quic.js'
import {type LoopbackServe, spawnLoopbackServe} from '../scripts/serve-events.js'
import {stopChildren} from '../scripts/stop-children.js'

const MiB = 1024 * 1024
const GAME_MIB = Number(process.env.BENCH_HOSTILE_MIB ?? 32)
const CHUNK = 4 * MiB
const IDLE_TCP = 500
const HOGS = 5
const STALLS_PER_HOG = 60
const FRAMES = 6
const FRAME_BYTES = 8 * MiB
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const FETCH_TIMEOUT_MS = 120_000

const children = new Set<ChildProcess>()
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

async function writeGame(gamesDir: string): Promise<void> {
  const root = path.join(gamesDir, 'big')
  await fs.mkdir(root, {recursive: true})
  await fs.writeFile(path.join(root, 'data.bin'), randomBytes(GAME_MIB * MiB))
  await fs.writeFile(path.join(root, 'version.ini'), '1.0\n')
  await writeCatalog(gamesDir)
}

async function writeCatalog(gamesDir: string): Promise<void> {
  await fs.mkdir(gamesDir, {recursive: true})
  await fs.writeFile(path.join(gamesDir, 'catalog.json'), JSON.stringify([{id: 'big', name: 'Big game'}]))
}

/** A one-shot `fetch big --json` into a fresh folder: its wall time, or why it failed. */
async function fetchOnce(root: string, label: string, serve: LoopbackServe): Promise<{ms: number; ok: boolean; detail: string; serveCpuMs: number}> {
  const gamesDir = path.join(root, `fetch-${label}`)
  await writeCatalog(gamesDir)
  const cpuBefore = usageOf(serve.child.pid!).cpuMs
  const started = performance.now()
  const args = [CLI, 'fetch', 'big', '--no-mdns', '--games', gamesDir, '--json', '--wait-peers', '30', '--peer', `127.0.0.1:${serve.port}`]
  const result = await new Promise<{code: number | null; stdout: string; stderr: string}>((resolve, reject) => {
    const child = track(spawn(process.execPath, args, {cwd: REPO_ROOT, env: {...process.env, LANSPREAD_GAMES: ''}, stdio: ['ignore', 'pipe', 'pipe']}))
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()))
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), FETCH_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
  const ms = performance.now() - started
  const serveCpuMs = usageOf(serve.child.pid!).cpuMs - cpuBefore
  await fs.rm(gamesDir, {recursive: true, force: true})
  if (result.code === 0) return {ms, ok: true, detail: 'ok', serveCpuMs}
  return {ms, ok: false, serveCpuMs, detail: `exit ${result.code}: ${(result.stdout + result.stderr).trim().split('\n').slice(-2).join(' | ').slice(0, 300)}`}
}

/** A peer runtime in this process on `host`, connected to serve (an attacker with a real peer_id). */
async function startPeerOn(root: string, name: string, host: string, serve: LoopbackServe): Promise<PeerRuntime> {
  const gamesDir = path.join(root, name)
  await writeCatalog(gamesDir)
  const runtime = await PeerRuntime.start(
    {
      paths: resolvePaths({games: gamesDir, env: {}}),
      host,
      port: 0,
      discovery: [new StaticPeers([{host: '127.0.0.1', port: serve.port}])],
      settings: runtimeSettings({}, {}),
      watch: false,
      bulk: false,
    },
    () => undefined,
  )
  const deadline = Date.now() + 30_000
  while (!runtime.table.get(serve.peerId)?.library.position && Date.now() < deadline) await sleep(20)
  if (!runtime.sessions.connectionOf(serve.peerId)) throw new Error(`${name} did not connect to serve`)
  return runtime
}

/** 300 GetChunk streams of 4 MiB chunks that are never read, held until `release` resolves. */
function stallChunks(hogs: PeerRuntime[], servePeerId: string, manifestHash: string, release: Promise<void>): Promise<unknown[]> {
  return Promise.all(
    hogs.flatMap((hog) => {
      const connection = hog.sessions.connectionOf(servePeerId)!
      return Array.from({length: STALLS_PER_HOG}, (_, i) =>
        connection
          .request(
            async (stream) => {
              const writer = stream.writable.getWriter()
              await writer.write(
                encodeFrame({type: 'GetChunk', id: 'big', manifest_hash: manifestHash, path: 'data.bin', offset: (i % (GAME_MIB / 4)) * CHUNK, length: CHUNK}),
              )
              await writer.close()
              await release // never reads
            },
            {timeoutMs: 10 * 60_000, what: 'stalled GetChunk'},
          )
          .catch(() => 'failed'),
      )
    }),
  )
}

/** 500 TCP connections to the bulk port from 127.0.0.2 that never send a byte. */
async function idleConnections(port: number): Promise<net.Socket[]> {
  const sockets = await Promise.all(
    Array.from(
      {length: IDLE_TCP},
      () =>
        new Promise<net.Socket | undefined>((resolve) => {
          const socket = net.connect({host: '127.0.0.1', port, localAddress: '127.0.0.2'})
          socket.once('connect', () => resolve(socket))
          socket.once('error', () => resolve(undefined))
          socket.on('error', () => undefined)
        }),
    ),
  )
  return sockets.filter((socket): socket is net.Socket => socket !== undefined)
}

/** An 8 MiB frame body of `{},{},…` under `head`, with its length prefix. */
function tinyObjectsFrame(head: string): Buffer {
  const count = Math.floor((FRAME_BYTES - head.length - 2) / 3)
  const body = Buffer.from(`${head}${Array(count).fill('{}').join(',')}]}`)
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32BE(body.length)
  return Buffer.concat([prefix, body])
}

async function sendFrame(connection: PeerConnection, frame: Buffer): Promise<string> {
  return connection
    .request(
      async (stream) => {
        const writer = stream.writable.getWriter()
        await writer.write(frame).catch(() => undefined)
        await writer.close().catch(() => undefined)
        const reply = await new FrameReader(stream.readable).next()
        return reply?.type === 'Error' ? `Error ${reply.code}` : (reply?.type ?? 'no reply')
      },
      {timeoutMs: 60_000, what: 'a large frame'},
    )
    .catch((error: unknown) => `failed: ${String(error).slice(0, 120)}`)
}

/** serve's CPU time (ms, user + system) and current RSS (KiB), from /proc. */
function usageOf(pid: number): {cpuMs: number; rssKiB: number} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return {cpuMs: ticks * 10, rssKiB: Number(rss)}
}

/** Serve's CPU and peak RSS growth while `work` runs. */
async function measured(pid: number, work: () => Promise<string[]>): Promise<{cpuMs: number; rssGrowthMiB: number; peakMiB: number; outcomes: string[]}> {
  await sleep(1000)
  const before = usageOf(pid)
  let peak = before.rssKiB
  const sampler = setInterval(() => (peak = Math.max(peak, usageOf(pid).rssKiB)), 20)
  const outcomes = await work()
  await sleep(500)
  clearInterval(sampler)
  const after = usageOf(pid)
  peak = Math.max(peak, after.rssKiB)
  return {cpuMs: after.cpuMs - before.cpuMs, rssGrowthMiB: (peak - before.rssKiB) / 1024, peakMiB: peak / 1024, outcomes}
}

function summarize(outcomes: string[]): string {
  const counts = new Map<string, number>()
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  return [...counts].map(([outcome, count]) => `${count}× ${outcome}`).join(', ')
}

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-hostile-'))
  const cleanups: (() => Promise<void>)[] = []
  try {
    const gamesDir = path.join(root, 'serve')
    await writeGame(gamesDir)
    const serve = await spawnLoopbackServe('serve', gamesDir, {timeoutMs: 60_000, onChild: track})
    const pid = serve.child.pid!
    console.log(`serve pid ${pid} on 127.0.0.1:${serve.port}; game of ${GAME_MIB} MiB`)

    const alone = await fetchOnce(root, 'alone', serve)
    console.log(`(a) fetch alone: ${alone.ms.toFixed(0)} ms (${alone.detail}; serve CPU meanwhile ${alone.serveCpuMs} ms)`)

    // (c) six 8 MiB frames of tiny objects at once: from six strangers (Hello), then from an admitted peer (LibraryDelta).
    const certificate = await loadOrCreateCertificate(path.join(root, 'stranger-tls'))
    const endpoint = new QuicEndpoint({certificate}, {log: () => undefined})
    await endpoint.start({host: '127.0.0.1', port: 0})
    cleanups.push(() => endpoint.stop())
    const hello = tinyObjectsFrame(
      `{"type":"Hello","peer_id":"${randomUUID()}","proto_ver":1,"library_rev":0,"library_epoch":"e","library_digest":"${'0'.repeat(64)}","features":[],"listen_port":1,"games":[`,
    )
    const strangers = await measured(pid, async () => {
      const connections = await Promise.all(Array.from({length: FRAMES}, () => endpoint.dial('127.0.0.1', serve.port, {timeoutMs: 10_000})))
      return Promise.all(connections.map((connection) => sendFrame(connection, hello)))
    })
    console.log(
      `(c) six 8 MiB Hello frames of tiny objects from strangers: serve CPU ${strangers.cpuMs} ms, RSS +${strangers.rssGrowthMiB.toFixed(0)} MiB (peak ${strangers.peakMiB.toFixed(0)} MiB); replies: ${summarize(strangers.outcomes)}`,
    )
    // An admitted peer of its own (127.0.0.4): refused frames count as violations and drop its connection.
    const insider = await startPeerOn(root, 'insider', '127.0.0.4', serve)
    cleanups.push(() => insider.stop())
    const delta = tinyObjectsFrame(
      `{"type":"LibraryDelta","library_epoch":"e","from_rev":1,"to_rev":2,"library_digest":"${'0'.repeat(64)}","updated":[],"removed":[],"added":[`,
    )
    const admitted = await measured(pid, async () => {
      const connection = insider.sessions.connectionOf(serve.peerId)!
      return Promise.all(Array.from({length: FRAMES}, () => sendFrame(connection, delta)))
    })
    console.log(
      `(c') six 8 MiB LibraryDelta frames of tiny objects from an admitted peer: serve CPU ${admitted.cpuMs} ms, RSS +${admitted.rssGrowthMiB.toFixed(0)} MiB (peak ${admitted.peakMiB.toFixed(0)} MiB); replies: ${summarize(admitted.outcomes)}`,
    )

    const hogs: PeerRuntime[] = []
    for (let i = 0; i < HOGS; i++) hogs.push(await startPeerOn(root, `hog-${i}`, '127.0.0.3', serve))
    cleanups.push(async () => void (await Promise.all(hogs.map((hog) => hog.stop()))))
    const record = hogs[0]!.table.get(serve.peerId)!
    const manifestHash = record.library.get('big')!.manifest_hash
    const bulkPort = record.bulk_port

    let releaseStalls!: () => void
    const stalls = stallChunks(hogs, serve.peerId, manifestHash, new Promise<void>((resolve) => (releaseStalls = resolve)))
    cleanups.push(async () => {
      releaseStalls()
      await stalls
    })
    await sleep(2000)
    const chunksOnly = await fetchOnce(root, 'stalled', serve)
    console.log(
      `(b') fetch while ${HOGS * STALLS_PER_HOG} stalled chunk requests from ${HOGS} peer_ids on 127.0.0.3 are held: ${chunksOnly.ms.toFixed(0)} ms (${chunksOnly.detail}; serve CPU meanwhile ${chunksOnly.serveCpuMs} ms), ${(chunksOnly.ms / alone.ms).toFixed(2)}× alone`,
    )

    const sockets = bulkPort === null ? [] : await idleConnections(bulkPort)
    cleanups.push(async () => sockets.forEach((socket) => socket.destroy()))
    await sleep(500)
    const open = sockets.filter((socket) => !socket.destroyed).length
    const attacked = await fetchOnce(root, 'attacked', serve)
    console.log(
      `(b) fetch while ${open} of ${IDLE_TCP} idle TCP connections to bulk port ${bulkPort} (from 127.0.0.2) and the stalled chunks are held: ${attacked.ms.toFixed(0)} ms (${attacked.detail}; serve CPU meanwhile ${attacked.serveCpuMs} ms), ${(attacked.ms / alone.ms).toFixed(2)}× alone`,
    )
    for (const socket of sockets) socket.destroy()
    releaseStalls()
    await stalls

    console.log(`serve's RSS now ${(usageOf(pid).rssKiB / 1024).toFixed(0)} MiB`)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
    await stopChildren(children)
    rmSync(root, {recursive: true, force: true})
  }
}

await main()
