// How a command finds a running serve: it connects to `<state>/control.sock` (a named pipe on
// Windows, see control-socket-path); when nothing answers there, the command works on disk. Only node:net is loaded, so commands that run
// without serve pay one failed connect (microseconds) for the check.
import type {LanspreadPaths} from '../config.js'
import type {ControlClient} from './client.js'
import {connectControlSocket} from './connect.js'
import {controlSocketPath as socketPathOf} from './control-socket-path.js'

/** The control socket (or pipe) of this state folder on this platform. */
export function controlSocketPath(paths: Pick<LanspreadPaths, 'stateDir'>, platform: string = process.platform): string {
  return socketPathOf(paths.stateDir, platform)
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
