// The other end of serve's control socket: commands connect to it when serve runs and
// work on disk when nothing answers. A reply's error comes back as the LanspreadError it was.
import net from 'node:net'
import {LanspreadError} from '../errors.js'
import {describeIssues} from '../fs/read-json.js'
import {type CallArgs, type CallResult, type ControlCall, parseResult} from './calls.js'
import {CONNECT_TIMEOUT_MS, connectControlSocket} from './connect.js'
import {CONTROL_EVENT_NAMES, type ControlEventLine, ControlEventLineSchema} from './events.js'
import {type ControlCommand, type ControlEvent, ControlEventSchema, ControlReplySchema, MAX_CONTROL_LINE_BYTES} from './messages.js'
import {readLines, writeLine} from './ndjson.js'

interface Waiter {
  resolve: (result: unknown) => void
  reject: (error: LanspreadError) => void
}

export class ControlClient {
  private nextId = 1
  private readonly waiting = new Map<number, Waiter>()
  private readonly eventListeners = new Set<(event: ControlEvent) => void>()
  private closedError: LanspreadError | undefined

  private constructor(
    private readonly socket: net.Socket,
    readonly socketPath: string,
  ) {
    readLines(
      socket,
      MAX_CONTROL_LINE_BYTES,
      (line) => this.receive(line),
      () => this.fail('serve sent a line longer than allowed'),
    )
    socket.on('error', () => {})
    socket.on('close', () => this.fail('serve closed the control connection (it stopped or crashed)'))
  }

  /** Connects to a running serve, or resolves undefined when none listens on the socket. */
  static async connect(socketPath: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<ControlClient | undefined> {
    const socket = await connectControlSocket(socketPath, timeoutMs)
    return socket ? new ControlClient(socket, socketPath) : undefined
  }

  /** A client over a socket already connected (see connectControlSocket). */
  static over(socket: net.Socket, socketPath: string): ControlClient {
    return new ControlClient(socket, socketPath)
  }

  /** One request as it travels: its result unchecked (see call() for the checked one). */
  async request(command: ControlCall, args: object = {}): Promise<unknown> {
    return this.send(command, args)
  }

  /** One request, its result parsed with the request's schema (control/calls.ts): a document of another shape is a `protocol` error. */
  async call<C extends ControlCall>(command: C, args: CallArgs<C>): Promise<CallResult<C>> {
    return parseResult(command, await this.request(command, args))
  }

  /** Subscribes to serve's event stream as it travels; events reach `listener` until close(). */
  async subscribe(listener: (event: ControlEvent) => void): Promise<void> {
    this.eventListeners.add(listener)
    await this.send('subscribe', {})
  }

  /**
   * Subscribes to serve's events, each parsed with its schema (control/events.ts). An event of a
   * name this lanspread does not know is skipped; one whose data does not parse goes to `onInvalid`.
   */
  async events(listener: (event: ControlEventLine) => void, onInvalid: (error: LanspreadError) => void = () => {}): Promise<void> {
    await this.subscribe((line) => {
      if (!CONTROL_EVENT_NAMES.has(line.event)) return
      const parsed = ControlEventLineSchema.safeParse(line)
      if (parsed.success) listener(parsed.data)
      else onInvalid(new LanspreadError('protocol', `serve sent a ${line.event} event this lanspread does not understand: ${describeIssues(parsed.error)}`))
    })
  }

  /** Resolves when serve closes the connection (it stopped). */
  closed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => this.socket.once('close', () => resolve()))
  }

  close(): void {
    this.socket.destroy()
  }

  private async send(command: ControlCommand, args: object): Promise<unknown> {
    if (this.closedError) throw this.closedError
    const id = this.nextId++
    const reply = new Promise<unknown>((resolve, reject) => this.waiting.set(id, {resolve, reject}))
    await writeLine(this.socket, {id, command, args})
    return reply
  }

  private receive(line: string): void {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      this.fail('serve sent a control line that is not JSON')
      return
    }
    const event = ControlEventSchema.safeParse(json)
    if (event.success) {
      for (const listener of this.eventListeners) listener(event.data)
      return
    }
    const reply = ControlReplySchema.safeParse(json)
    if (!reply.success) return
    const waiter = this.waiting.get(reply.data.id)
    if (!waiter) return
    this.waiting.delete(reply.data.id)
    if (reply.data.ok) waiter.resolve(reply.data.result)
    else waiter.reject(new LanspreadError(reply.data.error.code, reply.data.error.message, reply.data.error.hint ? {hint: reply.data.error.hint} : {}))
  }

  private fail(message: string): void {
    this.closedError ??= new LanspreadError('io', message, {hint: "check serve's log; run the command again (it works on disk when serve is not running)"})
    for (const waiter of this.waiting.values()) waiter.reject(this.closedError)
    this.waiting.clear()
    this.socket.destroy()
  }
}
