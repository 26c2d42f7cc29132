// Runs `lanspread serve --json` as a real child process on loopback and follows its event
// lines, for end-to-end tests of serve and of the commands that attach to it.
import {type ResultPromise, execa} from 'execa'
import {onTestFinished} from 'vitest'
import {CLI, REPO_ROOT} from './cli.js'
import {readLines} from '../../src/control/ndjson.js'
import {MAX_CONTROL_LINE_BYTES} from '../../src/control/messages.js'

/** Short timings, so liveness tests take seconds. */
export const FAST_ENV = {
  LANSPREAD_PING_AFTER_MS: '400',
  LANSPREAD_STALE_AFTER_MS: '1500',
  LANSPREAD_REQUEST_TIMEOUT_MS: '3000',
  LANSPREAD_REDIAL_MIN_MS: '100',
  LANSPREAD_REDIAL_MAX_MS: '400',
  LANSPREAD_LIVENESS_TICK_MS: '100',
}

export interface ServeEvent {
  event: string
  [key: string]: unknown
}

export interface ServeProcess {
  child: ResultPromise
  port: number
  peerId: string
  events: ServeEvent[]
  stderr(): string
  waitFor(what: string, check: (event: ServeEvent) => boolean, timeoutMs?: number): Promise<ServeEvent>
}

export async function startServe(gamesDir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = execa('node', [CLI, 'serve', '--json', '--games', gamesDir, '--host', '127.0.0.1', '--port', '0', '--no-mdns', ...extraArgs], {
    cwd: REPO_ROOT,
    env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0', ...FAST_ENV, ...env},
    reject: false,
    stdin: 'ignore',
    buffer: false,
    // Every test bounds its serves: a hung one is killed.
    timeout: 60_000,
  })
  onTestFinished(async () => {
    child.kill('SIGKILL')
    await child
  })
  const events: ServeEvent[] = []
  let stderr = ''
  // serve prints one JSON event per line; a line past the control socket's limit is not serve's.
  readLines(child.stdout!, MAX_CONTROL_LINE_BYTES, (line) => void events.push(JSON.parse(line) as ServeEvent), () => child.kill('SIGKILL'))
  child.stderr?.on('data', (data: Buffer) => (stderr += data.toString()))
  const waitFor = async (what: string, check: (event: ServeEvent) => boolean, timeoutMs = 15_000): Promise<ServeEvent> => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const found = events.find(check)
      if (found) return found
      if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}) before ${what}: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`timed out waiting for ${what}; stderr: ${stderr}`)
  }
  const listening = await waitFor('listening', (event) => event.event === 'listening')
  return {child, port: Number(listening.port), peerId: String(listening.peer_id), events, stderr: () => stderr, waitFor}
}
