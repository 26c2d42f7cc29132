// For every download failpoint: a real one-shot `fetch --peer` against a real serve on
// loopback dies there by SIGKILL; then the game folder must be consistent (a sentinel only
// over the complete payload of its version), the library must say so, the dead fetch's lock
// must not make anything busy, `recover` must only sweep scratch, and a rerun must finish
// byte-identical while fetching only what is not on disk yet.
import {type ResultPromise, execa} from 'execa'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readLines} from '../../src/control/ndjson.js'
import {MAX_CONTROL_LINE_BYTES} from '../../src/control/messages.js'
import {FAILPOINTS, type Failpoint} from '../../src/util/failpoints.js'
import type {TransportName} from '../../src/words/transports.js'
import {CLI, REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {transportEnv} from '../helpers/transports.js'
import {makeTempDir, makeTempDirOutsideTest, makeTempLibrary, type TempLibrary} from '../helpers/temp-library.js'

const MiB = 1024 * 1024
const GAME = 'g'
const CATALOG = [{id: GAME, name: 'G'}]

/**
 * The source's version 2.0: two files of about 8 MiB (two chunks each) and a small readme. Chunks
 * arrive in random order (record 0032), so the one a mid-transfer kill keeps may be any of them.
 */
const A = randomBytes(8 * MiB)
const B = randomBytes(8 * MiB - 3)
const V2: Record<string, Buffer> = {
  'a.eti': A,
  'b.eti': B,
  'data/readme.txt': Buffer.from('read me'),
  'version.ini': Buffer.from('2.0\n'),
}
/**
 * What the destination holds before an update: 1.0 with a.eti's first chunk and all of b.eti
 * different, the same readme, and stale payload that 2.0 no longer lists.
 */
const V1: Record<string, Buffer> = {
  'a.eti': Buffer.concat([randomBytes(4 * MiB), A.subarray(4 * MiB)]),
  'b.eti': randomBytes(MiB),
  'data/readme.txt': V2['data/readme.txt']!,
  'data/old-map.bsp': Buffer.from('stale map'),
  'old.eti': Buffer.from('stale archive'),
  'version.ini': Buffer.from('1.0\n'),
}
const SENTINEL_BYTES = V2['version.ini']!.length
const FULL_BYTES = {
  fresh: Object.values(V2).reduce((sum, bytes) => sum + bytes.length, 0),
  // a.eti's first chunk, all of b.eti and the sentinel; a.eti's other chunk and the readme are reused.
  update: 4 * MiB + B.length + SENTINEL_BYTES,
}
type Scenario = keyof typeof FULL_BYTES

/** Default liveness timings: a short stale timeout would drop the downloader between chunks. */
const SERVE_ENV = {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0', LANSPREAD_STALE_AFTER_MS: '90000', LANSPREAD_PING_AFTER_MS: '30000'}

let sourceDir: string
let serve: ResultPromise
let peerAddress: string

beforeAll(async () => {
  sourceDir = await makeTempDirOutsideTest('lanspread-download-crash-')
  await fs.writeFile(path.join(sourceDir, 'catalog.json'), JSON.stringify(CATALOG))
  await writeFiles(path.join(sourceDir, GAME), V2)
  serve = execa('node', [CLI, 'serve', '--json', '--games', sourceDir, '--host', '127.0.0.1', '--port', '0', '--no-mdns'], {
    cwd: REPO_ROOT,
    env: SERVE_ENV,
    reject: false,
    stdin: 'ignore',
    buffer: false,
    timeout: 180_000,
  })
  peerAddress = `127.0.0.1:${await listeningPort(serve)}`
})

afterAll(async () => {
  serve?.kill('SIGKILL')
  await serve
  await fs.rm(sourceDir, {recursive: true, force: true})
})

/**
 * The download runs over QUIC, and once more with the fetcher lacking QUIC (LANSPREAD_QUIC=0)
 * and chunks on the portable transport itself (--no-bulk): the fresh scenario stands for the
 * transport (record 0033), the update one adds nothing a transport could break.
 */
const RUNS = [
  ['fresh', 'quic'],
  ['update', 'quic'],
  ['fresh', 'portable'],
] as const satisfies readonly (readonly [Scenario, TransportName])[]

describe.each(RUNS)('a %s download over %s', (scenario, transport) => {
  const fetchGame = (lib: TempLibrary, env: Record<string, string> = {}) => fetchGameOver(transport, lib, env)
  it('runs to the end without a failpoint and moves what the crash runs compare against', async () => {
    const {lib, root} = await prepare(scenario)
    const fetched = await fetchGame(lib)
    expect(fetched.exitCode, String(fetched.stderr)).toBe(0)
    expect(fetchedGame(fetched)).toMatchObject({bytes: FULL_BYTES[scenario], reused_bytes: FULL_BYTES.fresh - FULL_BYTES[scenario]})
    expect(await payload(root)).toEqual(hashes(V2))
    await expectLibraryShows(lib, '2.0\n', [])
  })

  const points = pointsOf(scenario)
  it.each(points)('killed at %s: consistent, not busy, recoverable, resumed', async (point) => {
    const {lib, root} = await prepare(scenario)
    const crashed = await fetchGame(lib, {LANSPREAD_FAILPOINT: point})
    expect(crashed.signal, `${String(crashed.stdout)} ${String(crashed.stderr)}`).toBe('SIGKILL')
    // The dead fetch's game lock is still there: what follows proves it holds nothing.
    expect(await exists(lockFile(lib))).toBe(true)

    const sentinel = expectedSentinel(scenario, point)
    await expectConsistent(root, sentinel)
    await expectLibraryShows(lib, sentinel, await scratchOf(root))

    await expectRecoverSweepsScratchOnly(lib, root, sentinel)

    const again = await fetchGame(lib)
    expect(again.exitCode, String(again.stderr)).toBe(0)
    const game = fetchedGame(again)
    expect(game.bytes + game.reused_bytes).toBe(FULL_BYTES.fresh)
    expect(game.bytes).toBeLessThanOrEqual(resumedBytesAtMost(scenario, point))
    expect(await payload(root)).toEqual(hashes(V2))
    if (scenario === 'update') expect(await fs.readFile(path.join(root, 'local', 'save.dat'), 'utf8')).toBe('precious')
    expect(await exists(lockFile(lib))).toBe(false)
  })
})

it('every download failpoint is named in IMPL_DECISIONS.md', async () => {
  const decisions = await fs.readFile(path.join(REPO_ROOT, 'IMPL_DECISIONS.md'), 'utf8')
  const named = new Set(decisions.match(/`download\.[a-z-]+`/g)?.map((m) => m.slice(1, -1)))
  expect([...named].sort()).toEqual(FAILPOINTS.filter((p) => p.startsWith('download.')).sort())
})

/**
 * An update passes every failpoint. A fresh download has no version.ini to discard; it runs
 * the points where its folder differs from an update's (empty, partly written, complete).
 */
const FRESH_POINTS: Failpoint[] = ['download.locked', 'download.chunk-written', 'download.chunks-written', 'download.sentinel-published']

function pointsOf(scenario: Scenario): Failpoint[] {
  const download = FAILPOINTS.filter((p) => p.startsWith('download.'))
  return scenario === 'update' ? download : download.filter((p) => FRESH_POINTS.includes(p))
}

/** The sentinel the game must hold after a kill at `point` (null: none). */
function expectedSentinel(scenario: Scenario, point: Failpoint): string | null {
  if (point === 'download.sentinel-published' || point === 'download.unlocking') return '2.0\n'
  if (point === 'download.locked' && scenario === 'update') return '1.0\n'
  return null
}

/** What the rerun may fetch at most: every byte while a kill may leave no chunk certain to be kept, then only the sentinel. */
function resumedBytesAtMost(scenario: Scenario, point: Failpoint): number {
  const order = FAILPOINTS.indexOf(point)
  if (order < FAILPOINTS.indexOf('download.chunk-written')) return FULL_BYTES[scenario]
  // Chunks come in random order (record 0032): the one chunk written before the kill may be
  // version.ini's scratch, which recovery sweeps, so no fewer bytes are certain to be kept.
  if (point === 'download.chunk-written') return FULL_BYTES[scenario]
  // Every payload byte is on disk; the sentinel's temp file is scratch that recovery sweeps, so only it is fetched again.
  return SENTINEL_BYTES
}

async function prepare(scenario: Scenario): Promise<{lib: TempLibrary; root: string}> {
  const lib = await makeTempLibrary(CATALOG)
  const root = path.join(lib.gamesDir, GAME)
  if (scenario === 'update') {
    await writeFiles(root, V1)
    await writeFiles(path.join(root, 'local'), {'save.dat': Buffer.from('precious')})
  }
  return {lib, root}
}

async function fetchGameOver(transport: TransportName, lib: TempLibrary, env: Record<string, string>) {
  const args = ['fetch', GAME, '--peer', peerAddress, '--no-mdns', '--games', lib.gamesDir, '--json', ...(transport === 'portable' ? ['--no-bulk'] : [])]
  return runCli(args, {env: {...env, ...transportEnv(transport)}, timeout: 30_000})
}

function fetchedGame(result: Awaited<ReturnType<typeof runCli>>): {bytes: number; reused_bytes: number} {
  return json<{games: {bytes: number; reused_bytes: number}[]}>(result).games[0]!
}

/**
 * A sentinel is only ever over the complete payload of its own version: 2.0 over exactly the
 * source's files, 1.0 over exactly the old ones. Without one, anything may be half-written.
 */
async function expectConsistent(root: string, sentinel: string | null): Promise<void> {
  const present = await fs.readFile(path.join(root, 'version.ini'), 'utf8').catch(() => null)
  expect(present).toBe(sentinel)
  if (sentinel === '2.0\n') expect(await payload(root)).toEqual(hashes(V2))
  if (sentinel === '1.0\n') expect(await payload(root)).toEqual(hashes(V1))
  if (sentinel !== null) expect(await scratchOf(root)).toEqual([])
}

interface LibraryGame {
  id: string
  eti_version: string | null
  downloaded: boolean
  availability: string
  needs_recovery: boolean
}

/** `library --json`: ready only over a sentinel, never while scratch says an operation was cut short. */
async function expectLibraryShows(lib: TempLibrary, sentinel: string | null, scratch: string[]): Promise<void> {
  const listed = await runCli(['library', '--json', '--games', lib.gamesDir])
  expect(listed.exitCode, String(listed.stderr)).toBe(0)
  const game = json<{games: LibraryGame[]}>(listed).games.find((g) => g.id === GAME)
  expect(game).toMatchObject({
    downloaded: sentinel !== null,
    eti_version: sentinel?.trim() ?? null,
    needs_recovery: scratch.length > 0,
    availability: sentinel !== null && scratch.length === 0 ? 'ready' : 'local_only',
  })
}

/**
 * `recover` on a copy of the crashed folder (the original is left for the rerun, which must
 * cope with the dead lock itself): not busy, it removes the sentinel scratch and nothing else —
 * the payload on disk stays for the next fetch to reuse, a sentinel stays as it was.
 */
async function expectRecoverSweepsScratchOnly(lib: TempLibrary, root: string, _sentinel: string | null): Promise<void> {
  const copy = await makeTempDir('lanspread-download-crash-copy-')
  // The dead one-shot peer's control socket cannot be copied (nor is it needed).
  await fs.cp(lib.gamesDir, copy, {recursive: true, filter: async (file) => !(await fs.lstat(file)).isSocket()})
  const copyRoot = path.join(copy, GAME)
  const scratch = await scratchOf(copyRoot)
  const payloadBefore = await payload(copyRoot)
  const recovered = await runCli(['recover', '--json', '--games', copy])
  expect(recovered.exitCode, String(recovered.stderr)).toBe(0)
  expect(json<{games: {id: string; action: string; observed: {scratch: string[]}}[]}>(recovered).games).toEqual([
    expect.objectContaining({id: GAME, action: scratch.length > 0 ? 'scratch_removed' : 'nothing_to_do', observed: expect.objectContaining({scratch})}),
  ])
  expect(await scratchOf(copyRoot)).toEqual([])
  expect(await payload(copyRoot)).toEqual(payloadBefore)
  expect(await payload(copyRoot)).toEqual(await payload(root))
}

async function scratchOf(root: string): Promise<string[]> {
  const names = await fs.readdir(root).catch(() => [])
  return names.filter((name) => name.startsWith('.version.ini.')).sort()
}

/** BLAKE-free fingerprint of the payload: relative path → sha256, without local/, state and scratch. */
async function payload(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk(dir: string, prefix: string): Promise<void> {
    for (const entry of await fs.readdir(dir, {withFileTypes: true}).catch(() => [])) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name
      if (prefix === '' && (entry.name === 'local' || entry.name.startsWith('.'))) continue
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative)
      else out[relative] = sha256(await fs.readFile(path.join(dir, entry.name)))
    }
  }
  await walk(root, '')
  return out
}

function hashes(files: Record<string, Buffer>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([p, bytes]) => [p, sha256(bytes)]))
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function lockFile(lib: TempLibrary): string {
  return path.join(lib.paths.locksDir, `game-${GAME}.lock`)
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  )
}

async function writeFiles(root: string, files: Record<string, Buffer>): Promise<void> {
  for (const [relative, bytes] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, relative)), {recursive: true})
    await fs.writeFile(path.join(root, relative), bytes)
  }
}

/** serve's `listening` event (one JSON line), within 20 s. */
async function listeningPort(child: ResultPromise): Promise<number> {
  let stderr = ''
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 20 s: ${stderr}`)), 20_000)
    readLines(
      child.stdout!,
      MAX_CONTROL_LINE_BYTES,
      (line) => {
        const event = JSON.parse(line) as {event: string; port?: number}
        if (event.event !== 'listening') return
        clearTimeout(timer)
        resolve(Number(event.port))
      },
      () => child.kill('SIGKILL'),
    )
    void child.then(() => reject(new Error(`serve exited before listening: ${stderr}`)))
  })
}
