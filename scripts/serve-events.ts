// Following a `lanspread serve --json` child process: its event lines collected as they
// arrive, its stderr kept for error messages, and bounded waits for an event. Shared by the
// demo, the benchmarks and the tests that run serve as a real process.
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'
import {MAX_CONTROL_LINE_BYTES} from '../src/control/messages.js'
import {readLines} from '../src/control/ndjson.js'

/** serve on loopback with mDNS off: what every script and test outside a namespace runs. */
export function loopbackServeArgs(gamesDir: string): string[] {
  return ['serve', '--json', '--no-mdns', '--games', gamesDir, '--host', '127.0.0.1', '--port', '0']
}

export interface ServeEvent {
  event: string
  /** performance.now() when the line reached this process. */
  at: number
  [key: string]: unknown
}

/** What followServe needs of a child: node:child_process and execa subprocesses both fit. */
export interface ServeChild {
  stdout: Readable | null
  stderr: Readable | null
  exitCode: number | null
  kill(signal?: NodeJS.Signals): boolean
  once(event: 'close', listener: () => void): unknown
}

export interface FollowedServe {
  events: ServeEvent[]
  stderr(): string
  /** The first event (already seen or still to come) that passes `check`; rejects when serve ends first or after `timeoutMs`. */
  waitFor(what: string, check: (event: ServeEvent) => boolean, timeoutMs: number): Promise<ServeEvent>
  /** Waits for the listening event: the port and peer_id serve took. */
  listening(timeoutMs: number): Promise<{port: number; peerId: string}>
}

export function followServe(name: string, child: ServeChild): FollowedServe {
  const events: ServeEvent[] = []
  const waiters = new Set<(event: ServeEvent | undefined) => void>()
  let stderr = ''
  let closed = false
  // serve prints one JSON event per line; a line past the control socket's limit is not serve's.
  readLines(
    child.stdout!,
    MAX_CONTROL_LINE_BYTES,
    (line) => {
      const event = {...(JSON.parse(line) as {event: string}), at: performance.now()}
      events.push(event)
      for (const waiter of waiters) waiter(event)
    },
    () => child.kill('SIGKILL'),
  )
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
  // 'close' comes after the last line of stdout: an event that was printed has been seen by then.
  child.once('close', () => {
    closed = true
    for (const waiter of waiters) waiter(undefined)
  })

  const waitFor = (what: string, check: (event: ServeEvent) => boolean, timeoutMs: number): Promise<ServeEvent> => {
    const seen = events.find(check)
    if (seen) return Promise.resolve(seen)
    const ended = () => new Error(`serve ${name} exited (${child.exitCode}) before ${what}: ${stderr}`)
    if (closed) return Promise.reject(ended())
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, event?: ServeEvent) => {
        clearTimeout(timer)
        waiters.delete(waiter)
        if (error) reject(error)
        else resolve(event!)
      }
      const waiter = (event: ServeEvent | undefined) => {
        if (event === undefined) finish(ended())
        else if (check(event)) finish(undefined, event)
      }
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from serve ${name}; stderr: ${stderr}`)), timeoutMs)
      waiters.add(waiter)
    })
  }

  return {
    events,
    stderr: () => stderr,
    waitFor,
    async listening(timeoutMs) {
      const event = await waitFor('listening', (e) => e.event === 'listening', timeoutMs)
      return {port: Number(event.port), peerId: String(event.peer_id)}
    },
  }
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(REPO_ROOT, 'bin', 'run.js')

/** A serve on loopback started by a script, listening. */
export interface LoopbackServe {
  name: string
  child: ChildProcess
  port: number
  peerId: string
  events: ServeEvent[]
  stderr(): string
}

/**
 * Starts `lanspread serve` on loopback with mDNS off as a child of a script (the demo, a
 * benchmark) and waits until it listens. `onChild` sees the process at once, so the caller
 * can stop it even if it never comes up; `nodeArgs` go before the CLI (a CPU profile); `env` is
 * added to the script's environment (a benchmark's per-process label).
 */
export async function spawnLoopbackServe(
  name: string,
  gamesDir: string,
  options: {extraArgs?: string[]; nodeArgs?: string[]; env?: Record<string, string>; timeoutMs: number; onChild(child: ChildProcess): void},
): Promise<LoopbackServe> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...loopbackServeArgs(gamesDir), ...(options.extraArgs ?? [])], {
    cwd: REPO_ROOT,
    env: {...process.env, LANSPREAD_GAMES: '', ...options.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  options.onChild(child)
  const followed = followServe(name, child)
  return {name, child, ...(await followed.listening(options.timeoutMs)), events: followed.events, stderr: followed.stderr}
}
