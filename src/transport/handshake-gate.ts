// Admission of raw TCP connections to a TLS server (SPEC §4.6): at most so many per source
// address, and a deadline to authenticate by, after which a silent or stalled one is closed.
import type {Socket} from 'node:net'

export interface HandshakeGateLimits {
  /** TCP connections one source address may hold at once. */
  maxPerAddress: number
  /** From the TCP accept until `authenticated`: past it the connection is destroyed. */
  handshakeTimeoutMs: number
}

export class HandshakeGate {
  private readonly perAddress = new Map<string, number>()
  /** Deadlines by `address:port`: the raw socket and the TLS socket over it give the same key. */
  private readonly deadlines = new Map<string, NodeJS.Timeout>()

  constructor(private readonly limits: HandshakeGateLimits) {}

  /** Counts a newly accepted socket and starts its deadline; false (and nothing counted) when its address is full. */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown'
    const held = this.perAddress.get(address) ?? 0
    if (held >= this.limits.maxPerAddress) return false
    this.perAddress.set(address, held + 1)
    const key = connectionKey(socket)
    this.deadlines.set(
      key,
      setTimeout(() => socket.destroy(), this.limits.handshakeTimeoutMs),
    )
    socket.once('close', () => {
      this.authenticated(socket)
      const left = (this.perAddress.get(address) ?? 1) - 1
      if (left > 0) this.perAddress.set(address, left)
      else this.perAddress.delete(address)
    })
    return true
  }

  /** The connection got past its handshake (accepted or refused by the caller): no deadline any more. */
  authenticated(socket: Socket): void {
    const key = connectionKey(socket)
    clearTimeout(this.deadlines.get(key))
    this.deadlines.delete(key)
  }
}

function connectionKey(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`
}
