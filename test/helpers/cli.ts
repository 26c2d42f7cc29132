// Runs the built CLI (bin/run.js → dist/) in a child process, as a user or script would.
import {type Result, execa} from 'execa'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = path.join(REPO_ROOT, 'bin', 'run.js')

export interface CliOptions {
  env?: Record<string, string>
  cwd?: string
  timeout?: number
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<Result> {
  return execa('node', [CLI, ...args], {
    reject: false,
    cwd: options.cwd ?? REPO_ROOT,
    // Tests name their games folder; an inherited one must never leak in. mDNS stays off
    // outside the namespaces of test:lan (LANSPREAD_MDNS=0, like --no-mdns).
    env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0', ...options.env},
    extendEnv: true,
    timeout: options.timeout ?? 20_000,
    stdin: 'ignore',
  })
}

/** Parses stdout as the one JSON document `--json` promises. */
export function json<T = Record<string, unknown>>(result: Result): T {
  return JSON.parse(String(result.stdout)) as T
}
