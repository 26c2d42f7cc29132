// SIGKILL at random moments during install and update of ~200 MB of archives, then
// `lanspread recover`: the game must always end in its before or its after state.
// LANSPREAD_KILL_RUNS sets the number of runs (default 50, half install, half update).
import {execa} from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {CLI, runCli} from '../helpers/cli.js'
import {makeTempDirOutsideTest} from '../helpers/temp-library.js'

const RUNS = Number(process.env.LANSPREAD_KILL_RUNS ?? 50)
const FILES_PER_ARCHIVE = 25
const FILE_BYTES = 4 * 1024 * 1024 // 2 archives × 25 files × 4 MiB = 200 MiB a set
const SETS = ['A', 'B'] as const
type SetName = (typeof SETS)[number]

let dir: string
let gamesDir: string
let root: string

function fileContent(set: SetName, archive: number, index: number): Buffer {
  const content = Buffer.alloc(FILE_BYTES, (archive * 31 + index) % 251)
  content.write(`SET-${set} ${archive}/${index}\n`)
  return content
}

async function buildSet(set: SetName): Promise<void> {
  await fs.mkdir(path.join(dir, `set-${set}`))
  for (const archive of [0, 1]) {
    const files = Object.fromEntries(Array.from({length: FILES_PER_ARCHIVE}, (_, i) => [`data${archive}/file-${i}.bin`, fileContent(set, archive, i)]))
    await writeTarArchive(path.join(dir, `set-${set}`, `part${archive}.eti`), files)
  }
}

/** Puts a set's archives at the game root (hard links: instant, no copy). */
async function useSet(set: SetName): Promise<void> {
  for (const archive of [0, 1]) {
    const target = path.join(root, `part${archive}.eti`)
    await fs.rm(target, {force: true})
    await fs.link(path.join(dir, `set-${set}`, `part${archive}.eti`), target)
  }
}

/** Which set local/ holds: 'absent', 'A', 'B', or a description of what is wrong. */
async function installedSet(): Promise<string> {
  let names: string[]
  try {
    names = (await fs.readdir(path.join(root, 'local'), {recursive: true})) as string[]
  } catch {
    return 'absent'
  }
  const data = names.filter((n) => n.endsWith('.bin')).sort()
  if (data.length !== 2 * FILES_PER_ARCHIVE) return `incomplete: ${data.length} files`
  const sets = new Set<string>()
  for (const name of data) {
    const file = path.join(root, 'local', name)
    const stat = await fs.stat(file)
    if (stat.size !== FILE_BYTES) return `truncated: ${name}`
    const handle = await fs.open(file, 'r')
    const head = Buffer.alloc(5)
    await handle.read(head, 0, 5, 0)
    await handle.close()
    sets.add(head.toString().slice(4))
  }
  return sets.size === 1 ? [...sets][0]! : `mixed: ${[...sets].join(',')}`
}

async function assertClean(): Promise<void> {
  const names = await fs.readdir(root)
  expect(names.filter((n) => n.startsWith('.local.') || n.startsWith('.version.ini.') || n.startsWith('.lanspread.json.'))).toEqual([])
  expect(JSON.parse(await fs.readFile(path.join(root, '.lanspread.json'), 'utf8')).intent).toBe('None')
}

/** Starts the command, kills it after `delayMs`, runs recover, and returns what recover did. */
async function killAndRecover(args: string[], delayMs: number): Promise<string> {
  const child = execa('node', [CLI, ...args, '--games', gamesDir], {reject: false, stdin: 'ignore', timeout: 60_000})
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs)
  await child
  clearTimeout(timer)
  const recovered = await runCli(['recover', 'g', '--json', '--games', gamesDir])
  expect(recovered.exitCode, String(recovered.stderr)).toBe(0)
  await assertClean()
  return (JSON.parse(String(recovered.stdout)) as {games: {action: string}[]}).games[0]!.action
}

/** Kills that landed mid-operation leave recover something to do; this proves they did. */
function expectMidOperationKills(actions: string[]): void {
  expect(actions.filter((action) => action !== 'nothing_to_do').length).toBeGreaterThanOrEqual(3)
}

async function timed(args: string[]): Promise<number> {
  const started = Date.now()
  const result = await runCli([...args, '--games', gamesDir], {timeout: 60_000})
  expect(result.exitCode, String(result.stderr)).toBe(0)
  return Date.now() - started
}

describe('SIGKILL at random moments', {timeout: 600_000}, () => {
  let installMs = 0
  /** Time to start the CLI and reach the operation: kills before that test nothing. */
  let startupMs = 0
  /** A moment within the operation (and a little past its end). */
  const duringOperation = (slack: number): number => startupMs + Math.random() * (installMs - startupMs) * slack

  beforeAll(async () => {
    dir = await makeTempDirOutsideTest('lanspread-kill-')
    gamesDir = path.join(dir, 'games')
    root = path.join(gamesDir, 'g')
    await fs.mkdir(root, {recursive: true})
    await fs.writeFile(path.join(gamesDir, 'catalog.json'), JSON.stringify([{id: 'g', name: 'G'}]))
    await fs.writeFile(path.join(root, 'version.ini'), '1.0')
    await Promise.all(SETS.map(buildSet))
    await useSet('A')
    installMs = await timed(['install', 'g'])
    await fs.rm(path.join(root, 'local'), {recursive: true})
    startupMs = await timed(['recover', 'g', '--dry-run'])
  }, 300_000)

  afterAll(async () => {
    await fs.rm(dir, {recursive: true, force: true})
  })

  it(`during install (${Math.ceil(RUNS / 2)} runs): local/ is absent or the whole new install`, async () => {
    const outcomes: string[] = []
    const actions: string[] = []
    for (let run = 0; run < Math.ceil(RUNS / 2); run++) {
      await fs.rm(path.join(root, 'local'), {recursive: true, force: true})
      actions.push(await killAndRecover(['install', 'g'], duringOperation(1.2)))
      const state = await installedSet()
      expect(['absent', 'A']).toContain(state)
      outcomes.push(state)
    }
    expectMidOperationKills(actions)
    console.log(
      `install of 200 MiB takes ${installMs} ms (${startupMs} ms of it start-up); after a random kill: ${tally(outcomes)}; recover: ${tally(actions)}`,
    )
  })

  it(`during update (${Math.floor(RUNS / 2)} runs): local/ is the old install or the new one, with the user's file either way`, async () => {
    await useSet('A')
    await timed(['install', 'g'])
    let current: SetName = 'A'
    const outcomes: string[] = []
    const actions: string[] = []
    for (let run = 0; run < Math.floor(RUNS / 2); run++) {
      const next: SetName = current === 'A' ? 'B' : 'A'
      await fs.writeFile(path.join(root, 'local', 'user-save.dat'), `save ${run}`)
      await useSet(next)
      actions.push(await killAndRecover(['install', 'g', '--update'], duringOperation(1.4)))
      const state = await installedSet()
      expect([current, next]).toContain(state)
      // An update keeps what the user made: the save survives a roll back and a roll forward.
      expect(await fs.readFile(path.join(root, 'local', 'user-save.dat'), 'utf8')).toBe(`save ${run}`)
      outcomes.push(state === current ? 'old install kept' : 'new install in place')
      current = state as SetName
    }
    expectMidOperationKills(actions)
    console.log(`update after a random kill: ${tally(outcomes)}; recover: ${tally(actions)}`)
  })
})

function tally(outcomes: string[]): string {
  const counts = new Map<string, number>()
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
  return [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ')
}
