// Runs `lanspread serve --json` as a real child process on loopback and follows its event
// lines, for end-to-end tests of serve and of the commands that attach to it.
import {type ResultPromise, execa} from 'execa'
import {onTestFinished} from 'vitest'
import {CLI, REPO_ROOT} from './cli.js'
import {type ServeEvent, followServe, loopbackServeArgs} from '../../scripts/serve-events.js'

/** Short timings, so liveness tests take seconds. */
export const FAST_ENV = {
  LANSPREAD_PING_AFTER_MS: '400',
  LANSPREAD_STALE_AFTER_MS: '1500',
  LANSPREAD_REQUEST_TIMEOUT_MS: '3000',
  LANSPREAD_REDIAL_MIN_MS: '100',
  LANSPREAD_REDIAL_MAX_MS: '400',
  LANSPREAD_LIVENESS_TICK_MS: '100',
}

export type {ServeEvent} from '../../scripts/serve-events.js'

export interface ServeProcess {
  child: ResultPromise
  port: number
  peerId: string
  events: ServeEvent[]
  stderr(): string
  waitFor(what: string, check: (event: ServeEvent) => boolean, timeoutMs?: number): Promise<ServeEvent>
}

/** `timeoutMs` bounds the serve's life (a hung one is killed); tests that outlive a minute on a loaded machine raise it. */
export async function startServe(gamesDir: string, extraArgs: string[] = [], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServeProcess> {
  const child = execa('node', [CLI, ...loopbackServeArgs(gamesDir), ...extraArgs], {
    cwd: REPO_ROOT,
    env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0', ...FAST_ENV, ...env},
    reject: false,
    stdin: 'ignore',
    buffer: false,
    // Every test bounds its serves: a hung one is killed.
    timeout: timeoutMs,
  })
  onTestFinished(async () => {
    child.kill('SIGKILL')
    await child
  })
  const followed = followServe('under test', child)
  const waitFor = (what: string, check: (event: ServeEvent) => boolean, timeoutMs = 15_000) => followed.waitFor(what, check, timeoutMs)
  return {child, ...(await followed.listening(15_000)), events: followed.events, stderr: followed.stderr, waitFor}
}
