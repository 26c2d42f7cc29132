// How a command finds a running serve: it connects to `<state>/control.sock`; when nothing
// answers there, the command works on disk. Only node:net is loaded, so commands that run
// without serve pay one failed connect (microseconds) for the check.
import path from 'node:path'
import type {LanspreadPaths} from '../config.js'
import {LanspreadError} from '../errors.js'
import type {ControlClient} from './client.js'
import {connectControlSocket} from './connect.js'
import type {ControlCommand} from './messages.js'

export const CONTROL_SOCKET_NAME = 'control.sock'

export function controlSocketPath(paths: Pick<LanspreadPaths, 'stateDir'>): string {
  return path.join(paths.stateDir, CONTROL_SOCKET_NAME)
}

/** A client of the running serve of this state folder, or undefined when none runs. */
export async function attachToServe(paths: Pick<LanspreadPaths, 'stateDir'>): Promise<ControlClient | undefined> {
  const socketPath = controlSocketPath(paths)
  const socket = await connectControlSocket(socketPath)
  if (!socket) return undefined
  // The client (and zod, which checks serve's replies) loads only when serve answers.
  const {ControlClient} = await import('./client.js')
  return ControlClient.over(socket, socketPath)
}

/**
 * Runs one request through serve when it runs. The result is serve's own document for the
 * command (the same shape the command builds on disk): serve is this program, on this
 * machine, behind a socket only this user can open.
 */
export async function requestServe<T>(
  paths: Pick<LanspreadPaths, 'stateDir'>,
  command: Exclude<ControlCommand, 'subscribe'>,
  args: Record<string, unknown> = {},
): Promise<{result: T} | undefined> {
  const client = await attachToServe(paths)
  if (!client) return undefined
  try {
    return {result: (await client.request(command, args)) as T}
  } finally {
    client.close()
  }
}

/** What a command that needs the running serve (peers, library --peers) says without one. */
export function serveNotRunning(paths: Pick<LanspreadPaths, 'stateDir'>): LanspreadError {
  return new LanspreadError('no_peers', `no peers known: lanspread serve is not running for ${paths.stateDir}`, {
    hint: 'start `lanspread serve` (with --peer HOST:PORT for each other machine); it finds the peers and their games',
  })
}
