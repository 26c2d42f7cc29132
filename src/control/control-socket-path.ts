// Where serve's control socket lives (record 0035): `<state>/control.sock`, a Unix socket, on
// Linux and macOS; on Windows a named pipe `\\.\pipe\lanspread-<hash of the state folder>`.
import {createHash} from 'node:crypto'
import path from 'node:path'

export const CONTROL_SOCKET_NAME = 'control.sock'

/** Named pipes live in this namespace; Node listens and connects to them like to a socket path. */
const PIPE_NAMESPACES = ['\\\\.\\pipe\\', '\\\\?\\pipe\\']

/**
 * The control socket of the state folder `stateDir` (absolute) on `platform`. A pipe name is
 * global to the machine, so it carries a hash of the folder: one serve per state folder, as
 * the Unix socket inside it gives. Windows paths are case-insensitive, and so is the hash.
 */
export function controlSocketPath(stateDir: string, platform: string = process.platform): string {
  if (platform !== 'win32') return path.posix.join(stateDir, CONTROL_SOCKET_NAME)
  const folder = path.win32
    .normalize(stateDir)
    .replace(/[\\/]+$/, '')
    .toLowerCase()
  const hash = createHash('sha256').update(folder).digest('hex').slice(0, 16)
  return `${PIPE_NAMESPACES[0]}lanspread-${hash}`
}

/** True for a Windows named pipe: no file on disk, nothing to remove, lstat or chmod. */
export function isNamedPipe(socketPath: string): boolean {
  return PIPE_NAMESPACES.some((namespace) => socketPath.startsWith(namespace))
}
