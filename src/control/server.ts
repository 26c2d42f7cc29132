// serve's control socket `<state>/control.sock` (mode 0600; a named pipe on Windows, record
// 0035, see control-socket-path): other lanspread commands send
// it requests while serve runs, so serve owns every operation, and may subscribe to its
// event stream. One bad client never disturbs serve or the other clients.
import fs from 'node:fs/promises'
import net from 'node:net'
import {LanspreadError, errnoCode, errorMessage, ioError, isLanspreadError} from '../errors.js'
import {describeIssues} from '../fs/read-json.js'
import {isNamedPipe} from './control-socket-path.js'
import {type ControlCommand, type ControlError, ControlRequestSchema, MAX_CONTROL_LINE_BYTES} from './messages.js'
import {readLines, writeLine} from './ndjson.js'

export type ControlHandler = (command: Exclude<ControlCommand, 'subscribe'>, args: Record<string, unknown>) => Promise<unknown>

export interface ControlServerOptions {
  socketPath: string
  handle: ControlHandler
  onClientError?: (message: string) => void
  /** Longest request line accepted (default MAX_CONTROL_LINE_BYTES). */
  maxLineBytes?: number
}

/** Unix socket paths are limited to 107 bytes on Linux. */
const MAX_SOCKET_PATH_BYTES = 107

export class ControlServer {
  private readonly server: net.Server
  private readonly clients = new Set<net.Socket>()
  private readonly subscribers = new Set<net.Socket>()

  private constructor(private readonly options: ControlServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket))
  }

  /**
   * Listens on the socket path. The caller holds serve's lock, so a socket file already
   * there was left by a serve that died: it is replaced. A Windows named pipe is no file:
   * nothing to replace or chmod; its default ACL lets other users only read, and a request
   * needs a write, so only this user (and administrators) can send one.
   */
  static async listen(options: ControlServerOptions): Promise<ControlServer> {
    const control = new ControlServer(options)
    if (isNamedPipe(options.socketPath)) {
      await control.listenAt(options.socketPath)
      return control
    }
    if (Buffer.byteLength(options.socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new LanspreadError(
        'usage',
        `the control socket path ${options.socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket allows`,
        {
          hint: 'use a shorter --state-dir',
        },
      )
    }
    await fs.rm(options.socketPath, {force: true}).catch((error: unknown) => {
      throw ioError('remove the old control socket', options.socketPath, error)
    })
    // Created with no permissions for others from the start: no window where anyone may connect.
    const umask = process.umask(0o177)
    try {
      await control.listenAt(options.socketPath)
    } finally {
      process.umask(umask)
    }
    await fs.chmod(options.socketPath, 0o600)
    return control
  }

  private async listenAt(socketPath: string): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject)
        this.server.listen(socketPath, () => {
          this.server.off('error', reject)
          resolve()
        })
      })
    } catch (error) {
      throw ioError('listen on', socketPath, error)
    }
  }

  /** Sends an event line to every subscribed client. */
  broadcast(event: string, data: unknown): void {
    for (const socket of this.subscribers) void writeLine(socket, {event, data})
  }

  async close(): Promise<void> {
    for (const socket of this.clients) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    if (!isNamedPipe(this.options.socketPath)) await fs.rm(this.options.socketPath, {force: true})
  }

  private accept(socket: net.Socket): void {
    this.clients.add(socket)
    socket.on('close', () => {
      this.clients.delete(socket)
      this.subscribers.delete(socket)
    })
    socket.on('error', (error) => {
      if (errnoCode(error) !== 'EPIPE' && errnoCode(error) !== 'ECONNRESET') this.options.onClientError?.(errorMessage(error))
    })
    readLines(
      socket,
      this.options.maxLineBytes ?? MAX_CONTROL_LINE_BYTES,
      (line) => void this.answer(socket, line),
      () => {
        this.options.onClientError?.('a control client sent a line longer than allowed; closed it')
        socket.destroy()
      },
    )
  }

  private async answer(socket: net.Socket, line: string): Promise<void> {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      await writeLine(socket, {id: -1, ok: false, error: {code: 'usage', message: 'control request is not JSON'}})
      return
    }
    const parsed = ControlRequestSchema.safeParse(json)
    if (!parsed.success) {
      const id = typeof json === 'object' && json !== null && 'id' in json && typeof json.id === 'number' ? json.id : -1
      await writeLine(socket, {id, ok: false, error: {code: 'usage', message: `invalid control request: ${describeIssues(parsed.error)}`}})
      return
    }
    const {id, command, args} = parsed.data
    if (command === 'subscribe') {
      this.subscribers.add(socket)
      await writeLine(socket, {id, ok: true, result: {subscribed: true}})
      return
    }
    try {
      const result = await this.options.handle(command, args)
      await writeLine(socket, {id, ok: true, result})
    } catch (error) {
      await writeLine(socket, {id, ok: false, error: toControlError(error)})
    }
  }
}

export function toControlError(error: unknown): ControlError {
  if (isLanspreadError(error)) return {code: error.code, message: error.message, ...(error.hint ? {hint: error.hint} : {})}
  return {code: 'internal', message: errorMessage(error), hint: 'this is a bug in lanspread serve; run it with LANSPREAD_DEBUG=1 and report the output'}
}
