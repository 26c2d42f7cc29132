// The mDNS sockets of one process, one per interface, shared by the responder and the browser:
// queries go to the one, responses to the other; sends, timers and warnings are kept here once.
import type {Answer} from 'dns-packet'
import {errorMessage} from '../errors.js'
import type {MdnsInterface} from './interfaces.js'
import {type MdnsSocket, type MdnsSocketFactory, type SenderInfo, multicastSocket} from './mdns-socket.js'

/** One interface and the socket bound on it. */
export interface MdnsBinding {
  readonly iface: MdnsInterface
  readonly socket: MdnsSocket
}

export type PacketHandler = (binding: MdnsBinding, packet: unknown, rinfo: SenderInfo) => void

export interface MdnsLinkComponents {
  createSocket?: MdnsSocketFactory
  log(level: 'info' | 'warn', message: string): void
}

export type ResponsePacket = {answers: Answer[]; additionals?: Answer[]; id?: number}

export class MdnsLink {
  readonly bindings: MdnsBinding[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private halted = false
  private warned = false

  constructor(
    private readonly interfaces: readonly MdnsInterface[],
    private readonly components: MdnsLinkComponents,
  ) {}

  /** True from halt() on: nothing new is scheduled or answered, only the goodbye goes out. */
  get stopped(): boolean {
    return this.halted
  }

  /** Binds a socket on every interface; a packet a handler cannot handle is dropped, never thrown. */
  open(handlers: {query?: PacketHandler; response?: PacketHandler}): void {
    const create = this.components.createSocket ?? multicastSocket
    for (const iface of this.interfaces) {
      const binding: MdnsBinding = {iface, socket: create(iface)}
      const {socket} = binding
      socket.on('query', (packet, rinfo) => this.guard(() => handlers.query?.(binding, packet, rinfo)))
      socket.on('response', (packet, rinfo) => this.guard(() => handlers.response?.(binding, packet, rinfo)))
      socket.on('error', (error) =>
        this.components.log(
          'warn',
          `mDNS on ${iface.name} (${iface.address}) failed: ${errorMessage(error)}; discovery there is off (--peer HOST:PORT still works)`,
        ),
      )
      socket.on('warning', (error) => this.warnOnce(`mDNS on ${iface.name} (${iface.address}): ${errorMessage(error)}`))
      this.bindings.push(binding)
    }
    if (this.bindings.length === 0)
      this.components.log('warn', 'mDNS has no interface to run on (no non-internal IPv4 interface); use --interface or --peer HOST:PORT')
  }

  /** Multicasts (or, with `rinfo`, unicasts) a response; with `waitMs`, resolves once sent or after that long. */
  send(binding: MdnsBinding, packet: ResponsePacket, rinfo?: SenderInfo, waitMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = waitMs === undefined ? undefined : setTimeout(resolve, waitMs)
      this.guard(() =>
        binding.socket.respond(packet, rinfo, (error) => {
          if (timer) clearTimeout(timer)
          if (error) this.warnOnce(`mDNS send on ${binding.iface.name} (${binding.iface.address}) failed: ${errorMessage(error)}`)
          resolve()
        }),
      )
      if (waitMs === undefined) resolve()
    })
  }

  /** Runs `run` after `delayMs` unless halted first; never keeps the process alive. */
  later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.guard(run)
    }, delayMs)
    timer.unref()
    this.timers.add(timer)
  }

  /** Stops every timer; the sockets stay open for the goodbye. */
  halt(): void {
    this.halted = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  async close(): Promise<void> {
    await Promise.all(this.bindings.map(({socket}) => new Promise<void>((resolve) => socket.destroy(() => resolve()))))
  }

  /** A packet we cannot handle is dropped; it never takes serve down. */
  guard(run: () => void): void {
    try {
      run()
    } catch (error) {
      this.warnOnce(`an mDNS packet was ignored: ${errorMessage(error)}`)
    }
  }

  private warnOnce(message: string): void {
    if (this.warned) return
    this.warned = true
    this.components.log('warn', `${message} (further mDNS warnings are not shown)`)
  }
}
