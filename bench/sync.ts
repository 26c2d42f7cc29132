// bench:sync — two real `serve` processes on loopback, peer A with a 2,000-game library:
// what a new peer's join (snapshot) and a one-game change on disk (delta) cost in bytes on the wire
// and in milliseconds end to end, the watcher's latency included. Targets (issue 10 item 9):
// a change costs O(one game) bytes, never a snapshot, and arrives in under 1 s.
// Runs the built CLI (bin/run.js → dist/): the npm script builds first. `--transport quic|portable`
// picks the peer transport (default quic; portable runs as without QUIC).
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {resolvePaths} from '../src/config.js'
import {controlSocketPath} from '../src/control/attach.js'
import {ControlClient} from '../src/control/client.js'
import type {TrafficCounters} from '../src/transport/endpoint.js'
import {type FollowedServe, followServe, loopbackServeArgs} from '../scripts/serve-events.js'
import {benchTransport} from './transport-arg.js'

const TRANSPORT = benchTransport()
const GAMES = Number(process.env.BENCH_GAMES ?? 2000)
/** Changes of each kind (a new game renamed into place; one game's version.ini replaced). */
const CHANGES = Number(process.env.BENCH_CHANGES ?? 5)
if (!(Number.isInteger(GAMES) && GAMES > 0 && Number.isInteger(CHANGES) && CHANGES > 0)) {
  throw new Error(`BENCH_GAMES (${GAMES}) and BENCH_CHANGES (${CHANGES}) must be whole numbers above 0`)
}
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const JOIN_TIMEOUT_MS = 60_000
const CHANGE_TIMEOUT_MS = 10_000
const SETTLE_MS = 300

const gameId = (n: number): string => `game-${String(n).padStart(5, '0')}`
const newGameId = (n: number): string => `new-game-${String(n).padStart(3, '0')}`

interface Serve extends FollowedServe {
  name: string
  child: ChildProcess
}

const serves: Serve[] = []
const clients: ControlClient[] = []
let tempRoot: string | undefined

/** Games folder of peer A: a catalog that also names the games added later, and GAMES small games. */
function buildLibraryA(gamesDir: string): void {
  const catalog = []
  for (let n = 0; n < GAMES; n++) catalog.push({id: gameId(n), name: `Game ${n}`})
  for (let n = 0; n < CHANGES; n++) catalog.push({id: newGameId(n), name: `New game ${n}`})
  for (let n = 0; n < GAMES; n++) writeGame(path.join(gamesDir, gameId(n)), '1.0')
  writeFileSync(path.join(gamesDir, 'catalog.json'), JSON.stringify(catalog))
}

function writeGame(root: string, version: string): void {
  mkdirSync(root, {recursive: true})
  writeFileSync(path.join(root, 'version.ini'), `${version}\n`)
  writeFileSync(path.join(root, 'game.eti'), `archive of ${path.basename(root)}\n`.repeat(4))
}

function startServe(name: string, gamesDir: string, extraArgs: string[]): Serve {
  const child = spawn('node', [CLI, ...loopbackServeArgs(gamesDir), ...TRANSPORT.serveArgs, ...extraArgs], {
    cwd: REPO_ROOT,
    env: {...process.env, LANSPREAD_GAMES: ''},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const serve = {name, child, ...followServe(name, child)}
  serves.push(serve)
  return serve
}

async function stopServe(serve: Serve): Promise<void> {
  if (serve.child.exitCode !== null || serve.child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => serve.child.once('exit', () => resolve()))
  serve.child.kill('SIGTERM')
  const timer = setTimeout(() => serve.child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

async function control(gamesDir: string): Promise<ControlClient> {
  const client = await ControlClient.connect(controlSocketPath(resolvePaths({games: gamesDir, env: {}})))
  if (!client) throw new Error(`serve of ${gamesDir} does not answer on its control socket`)
  clients.push(client)
  return client
}

async function bounded<T>(work: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs} ms`)), timeoutMs)))
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function traffic(client: ControlClient): Promise<TrafficCounters> {
  const status = (await bounded(client.request('status'), 'status')) as {traffic?: TrafficCounters}
  if (!status.traffic) throw new Error("serve's status answer has no traffic counters (is dist/ built from this tree?)")
  return status.traffic
}

/** Both peers' counters once no datagram moved for SETTLE_MS (acks and pulls included), bounded. */
async function settledTraffic(a: ControlClient, b: ControlClient): Promise<[TrafficCounters, TrafficCounters]> {
  let last = [await traffic(a), await traffic(b)] as [TrafficCounters, TrafficCounters]
  const deadline = performance.now() + 5_000
  while (performance.now() < deadline) {
    await sleep(SETTLE_MS)
    const now = [await traffic(a), await traffic(b)] as [TrafficCounters, TrafficCounters]
    // Bytes too: the portable transport (TCP) counts no datagrams.
    if (
      now[0].datagrams_out === last[0].datagrams_out &&
      now[1].datagrams_out === last[1].datagrams_out &&
      now[0].bytes_out === last[0].bytes_out &&
      now[1].bytes_out === last[1].bytes_out
    )
      return now
    last = now
  }
  return last
}

interface Moved {
  /** UDP payload bytes A sent and B sent (QUIC framing, encryption and acks included). */
  aOut: number
  bOut: number
  datagrams: number
}

function moved(before: [TrafficCounters, TrafficCounters], after: [TrafficCounters, TrafficCounters]): Moved {
  return {
    aOut: after[0].bytes_out - before[0].bytes_out,
    bOut: after[1].bytes_out - before[1].bytes_out,
    datagrams: after[0].datagrams_out - before[0].datagrams_out + after[1].datagrams_out - before[1].datagrams_out,
  }
}

interface ChangeResult {
  kind: 'new game' | 'version.ini'
  id: string
  /** Change on A's disk → A's library_changed (watcher and rescan). */
  watcherMs: number
  /** Change on A's disk → B's peer_library_changed for it. */
  endToEndMs: number
  outcome: string
  moved: Moved
}

async function measureChange(
  serveA: Serve,
  serveB: Serve,
  clients: [ControlClient, ControlClient],
  kind: ChangeResult['kind'],
  id: string,
  change: () => Promise<void>,
): Promise<ChangeResult> {
  const before = await settledTraffic(...clients)
  const aSeen = serveA.events.length
  const bSeen = serveB.events.length
  const started = performance.now()
  await change()
  const local = await serveA.waitFor(
    `library_changed for ${id}`,
    (e) => serveA.events.indexOf(e) >= aSeen && e.event === 'library_changed' && [...(e.added as string[]), ...(e.updated as string[])].includes(id),
    CHANGE_TIMEOUT_MS,
  )
  const remote = await serveB.waitFor(
    `peer_library_changed at rev ${String(local.library_rev)}`,
    (e) => serveB.events.indexOf(e) >= bSeen && e.event === 'peer_library_changed' && Number(e.library_rev) >= Number(local.library_rev),
    CHANGE_TIMEOUT_MS,
  )
  const after = await settledTraffic(...clients)
  const outcomes = serveB.events
    .slice(bSeen)
    .filter((e) => e.event === 'peer_library_changed')
    .map((e) => String(e.outcome))
  return {
    kind,
    id,
    watcherMs: local.at - started,
    endToEndMs: remote.at - started,
    outcome: outcomes.includes('snapshot') ? 'snapshot' : String(remote.outcome),
    moved: moved(before, after),
  }
}

/** B's view of the network library has `id` at `version` from A. */
async function checkListed(b: ControlClient, id: string, version: string, peerA: string): Promise<void> {
  const {games} = (await bounded(b.request('library_peers', {id}), 'library_peers')) as {games: {id: string; versions: Record<string, string[]>}[]}
  const listed = games.find((g) => g.id === id)
  if (!listed?.versions[version]?.includes(peerA)) throw new Error(`peer B does not list ${id} ${version} from A: ${JSON.stringify(listed)}`)
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

async function main(): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-sync-'))
  tempRoot = root
  try {
    const gamesA = path.join(root, 'a')
    const gamesB = path.join(root, 'b')
    // Prepared next to A's games folder, on the same file system: a rename moves them in at once.
    const staging = path.join(root, 'staging')
    process.stderr.write(`building ${GAMES} games in ${gamesA}…\n`)
    buildLibraryA(gamesA)
    mkdirSync(gamesB)
    await fs.copyFile(path.join(gamesA, 'catalog.json'), path.join(gamesB, 'catalog.json'))
    for (let n = 0; n < CHANGES; n++) {
      writeGame(path.join(staging, newGameId(n)), '1.0')
      writeFileSync(path.join(staging, `version-${n}.ini`), `2.${n}\n`)
    }

    const serveA = startServe('A', gamesA, [])
    const listeningA = await serveA.waitFor('listening', (e) => e.event === 'listening', JOIN_TIMEOUT_MS)
    const peerA = String(listeningA.peer_id)
    const clientA = await control(gamesA)
    const joinBefore = await traffic(clientA)

    // (a) Join: B starts knowing A's address; A's 2,000 games reach it as a snapshot.
    const joinStarted = performance.now()
    const serveB = startServe('B', gamesB, ['--peer', `127.0.0.1:${listeningA.port as number}`])
    const listeningB = await serveB.waitFor('listening', (e) => e.event === 'listening', JOIN_TIMEOUT_MS)
    const joined = await serveB.waitFor(
      `A's ${GAMES} games`,
      (e) => e.event === 'peer_library_changed' && e.peer_id === peerA && e.game_count === GAMES,
      JOIN_TIMEOUT_MS,
    )
    const peerB = String(listeningB.peer_id)
    await serveA.waitFor("B's library at A", (e) => e.event === 'peer_library_changed' && e.peer_id === peerB, JOIN_TIMEOUT_MS)
    const clientB = await control(gamesB)
    const joinAfter = await settledTraffic(clientA, clientB)
    const zero = {bytes_in: 0, bytes_out: 0, datagrams_in: 0, datagrams_out: 0}
    const join = moved([joinBefore, zero], joinAfter)
    const joinTotal = join.aOut + join.bOut
    await checkListed(clientB, gameId(GAMES - 1), '1.0', peerA)

    // (b) One-game changes at rest, alternating a new game and a replaced version.ini.
    const results: ChangeResult[] = []
    const pair: [ControlClient, ControlClient] = [clientA, clientB]
    for (let n = 0; n < CHANGES; n++) {
      const fresh = newGameId(n)
      results.push(await measureChange(serveA, serveB, pair, 'new game', fresh, () => fs.rename(path.join(staging, fresh), path.join(gamesA, fresh))))
      await checkListed(clientB, fresh, '1.0', peerA)
      const updated = gameId(n * 7)
      results.push(
        await measureChange(serveA, serveB, pair, 'version.ini', updated, () =>
          fs.rename(path.join(staging, `version-${n}.ini`), path.join(gamesA, updated, 'version.ini')),
        ),
      )
      await checkListed(clientB, updated, `2.${n}`, peerA)
    }

    const changeBytes = results.map((r) => r.moved.aOut + r.moved.bOut)
    const endToEnd = results.map((r) => r.endToEndMs)
    const watcher = results.map((r) => r.watcherMs)
    const snapshots = results.filter((r) => r.outcome !== 'delta')
    console.log(`two serve processes on 127.0.0.1 over ${TRANSPORT.name}, peer A ${GAMES} games, peer B empty; bytes = ${TRANSPORT.counted}`)
    console.log('')
    console.log(
      `join (snapshot)   B spawned → A's ${GAMES} games listed at B: ${(joined.at - joinStarted).toFixed(0)} ms (${(joined.at - listeningB.at).toFixed(0)} ms after B listened)`,
    )
    console.log(`                  bytes: A→B ${kb(join.aOut)}, B→A ${kb(join.bOut)}, total ${kb(joinTotal)} in ${join.datagrams} datagrams`)
    console.log('')
    console.log('change  kind         game             watcher ms  end-to-end ms  outcome   A→B bytes  B→A bytes  datagrams')
    results.forEach((r, i) => {
      console.log(
        `${String(i + 1).padStart(6)}  ${r.kind.padEnd(11)}  ${r.id.padEnd(15)}  ${r.watcherMs.toFixed(0).padStart(10)}  ${r.endToEndMs.toFixed(0).padStart(13)}  ${r.outcome.padEnd(8)}  ${String(r.moved.aOut).padStart(9)}  ${String(r.moved.bOut).padStart(9)}  ${String(r.moved.datagrams).padStart(9)}`,
      )
    })
    console.log('')
    console.log(
      `one-game change, end to end (the watcher's latency included): median ${median(endToEnd).toFixed(0)} ms, max ${Math.max(...endToEnd).toFixed(0)} ms (of which change → A's own library_changed: median ${median(watcher).toFixed(0)} ms)`,
    )
    console.log(
      `one-game change, bytes both ways: median ${median(changeBytes)} B = ${((100 * median(changeBytes)) / joinTotal).toFixed(2)}% of the join's ${kb(joinTotal)}`,
    )
    console.log(`changes that needed a snapshot: ${snapshots.length === 0 ? 'none' : snapshots.map((r) => r.id).join(', ')}`)
    console.log(`target: under 1 s end to end ${Math.max(...endToEnd) < 1000 ? 'met' : 'NOT met'}; no snapshot ${snapshots.length === 0 ? 'met' : 'NOT met'}`)
    if (snapshots.length > 0) process.exitCode = 1
  } finally {
    for (const client of clients) client.close()
    await Promise.all(serves.map(stopServe))
    await fs.rm(root, {recursive: true, force: true})
    tempRoot = undefined
  }
}

// Ctrl-C or a crash of the benchmark: no serve outlives it, no temp folder stays behind.
process.on('exit', () => {
  for (const serve of serves) if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL')
  if (tempRoot) rmSync(tempRoot, {recursive: true, force: true})
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))

await main()
