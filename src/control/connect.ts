// The first step of attaching to serve, kept free of everything but node:net: commands that
// run without serve (the common case of `scan`) pay one lstat and load nothing more.
import net from 'node:net'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {lstatOrNullSync} from '../fs/stat.js'
import {isNamedPipe} from './control-socket-path.js'

/** Errors that mean "no serve is listening there". */
const NOBODY_LISTENS = new Set(['ENOENT', 'ENOTDIR', 'ECONNREFUSED', 'ENOTSOCK'])

export const CONNECT_TIMEOUT_MS = 2000

/** A socket connected to serve's control socket, or undefined when nobody listens there. */
export async function connectControlSocket(socketPath: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<net.Socket | undefined> {
  // No socket there: nobody listens, and a connect attempt (a socket, an error object) would only say so slower.
  // A named pipe is no file: the connect itself says ENOENT when no serve listens.
  if (!isNamedPipe(socketPath) && !lstatOrNullSync(socketPath)?.isSocket()) return undefined
  const socket = net.createConnection(socketPath)
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new LanspreadError('busy', `serve's control socket ${socketPath} did not answer within ${timeoutMs} ms`, {
              hint: 'serve may be overloaded or hung; try again, or stop it',
            }),
          ),
        timeoutMs,
      )
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
      socket.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  } catch (error) {
    socket.destroy()
    if (NOBODY_LISTENS.has(errnoCode(error) ?? '')) return undefined
    if (error instanceof LanspreadError) throw error
    throw ioError('connect to', socketPath, error)
  }
  return socket
}
