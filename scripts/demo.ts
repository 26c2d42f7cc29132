// npm run demo — the main job end to end on one machine: a sample library in a temp folder,
// two `serve` peers on 127.0.0.1, a game fetched and installed from A by B (through B's serve),
// then by a one-shot third peer from A and B at once with its progress bar; prints what
// happened and removes every process and file it made, on success, failure and Ctrl-C alike.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, rmSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import * as tar from 'tar'
import {type LoopbackServe, spawnLoopbackServe} from './serve-events.js'
import {stopChildren} from './stop-children.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')
const MiB = 1024 * 1024
/** Every wait is bounded: a demo that hangs is a failed demo. */
const START_TIMEOUT_MS = 30_000
const FETCH_TIMEOUT_MS = 120_000

interface SampleGame {
  id: string
  name: string
  version: string
  /** archive file name → (path inside the archive → bytes) */
  archives: Record<string, Record<string, Buffer | string>>
  gzip?: boolean
}

/** Random bytes: incompressible, so the sizes shown are the sizes moved. */
const noise = (bytes: number): Buffer => randomBytes(bytes)

const SAMPLE: SampleGame[] = [
  {
    id: 'quake',
    name: 'Quake (demo)',
    version: '1.09',
    archives: {
      'pak0.eti': {'id1/pak0.pak': noise(96 * MiB), 'id1/config.cfg': 'bind w +forward\nname "lan player"\n'},
      'pak1.eti': {'id1/pak1.pak': noise(8 * MiB)},
    },
  },
  {
    id: 'openarena',
    name: 'OpenArena (demo)',
    version: '0.8.8',
    gzip: true,
    archives: {'base.eti': {'baseoa/pak0.pk3': noise(6 * MiB), 'readme.txt': 'OpenArena demo data\n'.repeat(200)}},
  },
  {
    id: 'tetris',
    name: 'Tetris (demo)',
    version: '2.0',
    archives: {'tetris.eti': {'tetris.bin': noise(256 * 1024)}},
  },
]

type Serve = LoopbackServe

const children = new Set<ChildProcess>()
let tempRoot: string | undefined

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

async function writeGame(gamesDir: string, game: SampleGame): Promise<number> {
  const root = path.join(gamesDir, game.id)
  const staging = path.join(gamesDir, '..', `staging-${game.id}`)
  await fs.mkdir(root, {recursive: true})
  for (const [archive, files] of Object.entries(game.archives)) {
    for (const [relative, bytes] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(staging, archive, relative)), {recursive: true})
      await fs.writeFile(path.join(staging, archive, relative), bytes)
    }
    await tar.create({file: path.join(root, archive), cwd: path.join(staging, archive), gzip: game.gzip ?? false, portable: true}, Object.keys(files))
  }
  await fs.rm(staging, {recursive: true, force: true})
  await fs.writeFile(path.join(root, 'version.ini'), `${game.version}\n`)
  let size = 0
  for (const entry of await fs.readdir(root)) size += (await fs.stat(path.join(root, entry))).size
  return size
}

async function writeCatalog(gamesDir: string): Promise<void> {
  await fs.mkdir(gamesDir, {recursive: true})
  await fs.writeFile(
    path.join(gamesDir, 'catalog.json'),
    JSON.stringify(
      SAMPLE.map(({id, name}) => ({id, name})),
      null,
      2,
    ),
  )
}

function startServe(name: string, gamesDir: string, extraArgs: string[]): Promise<Serve> {
  return spawnLoopbackServe(name, gamesDir, {extraArgs, timeoutMs: START_TIMEOUT_MS, onChild: track})
}

async function waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = check()
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
}

/** Runs the CLI to completion within FETCH_TIMEOUT_MS; stderr goes to the terminal (progress bars). */
function runCli(args: string[]): Promise<{code: number | null; stdout: string}> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [CLI, ...args], {cwd: REPO_ROOT, env: {...process.env, LANSPREAD_GAMES: ''}, stdio: ['ignore', 'pipe', 'inherit']}),
    )
    let stdout = ''
    child.stdout!.on('data', (data: Buffer) => (stdout += data.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), FETCH_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout})
    })
  })
}

async function stopAll(): Promise<void> {
  await stopChildren(children)
}

async function installedFiles(gamesDir: string, id: string): Promise<string[]> {
  const local = path.join(gamesDir, id, 'local')
  const entries = await fs.readdir(local, {recursive: true, withFileTypes: true})
  const files = entries.filter((entry) => entry.isFile() && !entry.name.startsWith('.lanspread'))
  return Promise.all(
    files.map(async (entry) => {
      const full = path.join(entry.parentPath, entry.name)
      return `${path.relative(local, full)} (${formatBytes((await fs.stat(full)).size)})`
    }),
  )
}

const formatBytes = (bytes: number): string =>
  bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`

interface FetchDocument {
  games: {
    id: string
    eti_version: string
    bytes: number
    reused_bytes: number
    elapsed_ms: number
    sources: {peer_id: string; bytes: number}[]
    retried_chunks: number
    installed: boolean
  }[]
}

async function main(): Promise<void> {
  if (!existsSync(path.join(REPO_ROOT, 'dist'))) {
    say('dist/ is missing: building the CLI first (npm run build)…')
    if (spawnSync('npm', ['run', 'build'], {cwd: REPO_ROOT, stdio: 'inherit'}).status !== 0) throw new Error('npm run build failed')
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-demo-'))
  tempRoot = root
  const started = performance.now()
  const gamesA = path.join(root, 'peer-a')
  const gamesB = path.join(root, 'peer-b')
  const gamesC = path.join(root, 'peer-c')
  say(`lanspread demo: a sample library in ${root}`)
  for (const dir of [gamesA, gamesB, gamesC]) await writeCatalog(dir)
  for (const game of SAMPLE)
    say(`  peer A has ${game.id} ${game.version}: ${formatBytes(await writeGame(gamesA, game))} of .eti archives (${game.gzip ? 'tar.gz' : 'tar'})`)

  const serveA = await startServe('A', gamesA, [])
  say(`peer A serving on 127.0.0.1:${serveA.port} (peer ${serveA.peerId})`)
  const serveB = await startServe('B', gamesB, ['--peer', `127.0.0.1:${serveA.port}`])
  say(`peer B serving on 127.0.0.1:${serveB.port} (peer ${serveB.peerId}), told of A with --peer`)
  await waitUntil("peer B to learn A's games", START_TIMEOUT_MS, () =>
    serveB.events.some((e) => e.event === 'peer_library_changed' && e.peer_id === serveA.peerId && e.game_count === SAMPLE.length),
  )
  say(`peer B knows A's ${SAMPLE.length} games`)
  const names = new Map([
    [serveA.peerId, 'A'],
    [serveB.peerId, 'B'],
  ])

  say('')
  say("$ lanspread fetch quake --install --games peer-b     (through B's serve: B downloads from A)")
  const viaServe = await runCli(['fetch', 'quake', '--install', '--no-mdns', '--games', gamesB, '--json'])
  if (viaServe.code !== 0) throw new Error(`fetch through serve B exited with ${viaServe.code}: ${viaServe.stdout}`)
  const first = (JSON.parse(viaServe.stdout) as FetchDocument).games[0]!
  say(
    `  B fetched quake ${first.eti_version}: ${formatBytes(first.bytes)} in ${(first.elapsed_ms / 1000).toFixed(2)} s from ${first.sources.map((s) => `${names.get(s.peer_id) ?? s.peer_id} (${formatBytes(s.bytes)})`).join(', ')}, installed: ${first.installed ? 'yes' : 'no'}`,
  )

  say('')
  say('$ lanspread fetch quake openarena --install --peer A --peer B --games peer-c     (a one-shot peer C, no serve)')
  // B's library shows quake ready once the download's rescan is done; then C asks A and B: two sources.
  await waitUntil('B to offer quake', START_TIMEOUT_MS, () => {
    const downloaded = serveB.events.findIndex((e) => e.event === 'operation_finished' && e.id === 'quake' && e.kind === 'download')
    return (
      downloaded >= 0 &&
      serveB.events.slice(downloaded).some((e) => e.event === 'library_changed' && [...(e.added as string[]), ...(e.updated as string[])].includes('quake'))
    )
  })
  const oneShot = await runCli([
    'fetch',
    'quake',
    'openarena',
    '--install',
    '--no-mdns',
    '--games',
    gamesC,
    '--peer',
    `127.0.0.1:${serveA.port}`,
    '--peer',
    `127.0.0.1:${serveB.port}`,
  ])
  say(oneShot.stdout.trimEnd().replace(/^/gm, '  '))
  if (oneShot.code !== 0) throw new Error(`one-shot fetch of peer C exited with ${oneShot.code}`)

  say('')
  say('What happened:')
  say(`  peer B: quake from A, ${formatBytes(first.bytes)} over the network, ${first.retried_chunks} chunks retried; installed files:`)
  for (const file of await installedFiles(gamesB, 'quake')) say(`    quake/local/${file}`)
  say('  peer C: quake (from A and B) and openarena (from A); installed files:')
  for (const id of ['quake', 'openarena']) for (const file of await installedFiles(gamesC, id)) say(`    ${id}/local/${file}`)
  say(`  every chunk verified (BLAKE3) before it was written; demo took ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

function cleanUpNow(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (tempRoot) rmSync(tempRoot, {recursive: true, force: true})
  tempRoot = undefined
}

// Ctrl-C, SIGTERM or a crash of the demo: no peer outlives it, no temp folder stays behind.
process.on('exit', cleanUpNow)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\ndemo interrupted: stopping the peers and removing ${tempRoot ?? 'the temp folder'}\n`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

try {
  await main()
  await stopAll()
  if (tempRoot) await fs.rm(tempRoot, {recursive: true, force: true})
  say(`cleaned up: peers stopped, ${tempRoot} removed`)
  tempRoot = undefined
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
  await stopAll()
  process.exitCode = 1
}
