// Every place lanspread reaches into @matrixai/quic's private internals, in one module: four
// hooks the library does not offer. test/transport/quic-patches.test.ts is their canary.
//
// Each patch relies on members that are protected or undeclared in the library's types, so a
// new version may move them without notice. The version is pinned exactly in package.json; the
// canary test fails, naming the patch, when the installed version or any member below changes.
import {QUICSocket, type QUICConnection, type QUICConnectionMap} from '@matrixai/quic'
import {SerialLock} from '../util/serial-lock.js'
import type {TrafficCounters} from './endpoint.js'

/** The @matrixai/quic version these patches were written and checked against. */
export const PATCHED_QUIC_VERSION = '2.0.9'

/** The patches by name, as the canary test reports them. */
export const QUIC_PATCHES = {
  bufferSizes: 'QUICSocket.socket (protected dgram.Socket, created in start()): its kernel buffer sizes',
  countTrafficIn: "QUICSocket.socket (protected dgram.Socket): a second 'message' listener counts datagrams in",
  countTrafficOut: 'QUICSocket.socketSend (protected, assigned in start()): the one path of send() and send_(), wrapped to count datagrams out',
  watchConnections: 'QUICSocket.connectionMap (a field the .d.ts omits): QUICServer and QUICClient call its set() as a connection is created',
  serialRecvLock: 'QUICConnection.recvLock (protected Lock): only recv() uses it, and only its withF(f)',
} as const

export type QuicPatchName = keyof typeof QUIC_PATCHES

/**
 * QUICSocket with the four hooks: the kernel buffer sizes of its dgram socket, traffic
 * counters on that socket, a call for each connection the moment it is created (a peer's
 * first stream can arrive in the packet that completes the handshake, before the server
 * announces the connection, and QUIC would dispatch it to nobody), and a cheaper lock for
 * each connection's recv.
 */
export class TunedQuicSocket extends QUICSocket {
  readonly traffic: TrafficCounters = {bytes_in: 0, bytes_out: 0, datagrams_in: 0, datagrams_out: 0}

  /**
   * Patch `bufferSizes`. Needs the started socket's protected `socket` (a dgram.Socket). Why:
   * the library has no option for SO_RCVBUF/SO_SNDBUF, and the kernel default (~200 KB) drops
   * datagrams at transfer rates. Returns what the kernel granted (capped by rmem_max/wmem_max).
   */
  setBufferSizes(bytes: number): {recv: number; send: number} {
    this.socket.setRecvBufferSize(bytes)
    this.socket.setSendBufferSize(bytes)
    return {recv: this.socket.getRecvBufferSize(), send: this.socket.getSendBufferSize()}
  }

  /**
   * Patches `countTrafficIn` and `countTrafficOut`: `traffic()` of the endpoint (SPEC's status
   * counters, bench figures) with no counter in the library. In: a second listener on the
   * dgram socket's 'message'. Out: `socketSend`, the promisified dgram send start() assigns
   * and every send of QUICSocket (send and send_) goes through, replaced by a counting wrapper
   * taking (msg, port, host) or (msg, offset, length, port, host).
   */
  countTraffic(): void {
    const traffic = this.traffic
    this.socket.on('message', (message: Buffer) => {
      traffic.datagrams_in += 1
      traffic.bytes_in += message.byteLength
    })
    const send = this.socketSend
    this.socketSend = async (...params: unknown[]) => {
      const result = await send(...params)
      traffic.datagrams_out += 1
      traffic.bytes_out += sentBytes(params)
      return result
    }
  }

  /**
   * Patch `watchConnections`: calls `created` for every connection (dialled or accepted) as it
   * enters the socket's connection map, before its handshake completes. Needs `connectionMap`,
   * a public field at runtime that the .d.ts does not declare, hence the one cast here; its
   * `set` is wrapped. Why: the library announces an accepted connection only after the
   * handshake, and a stream in the packet that completes it would find no listener.
   */
  watchConnections(created: (connection: QUICConnection) => void): void {
    const map = (this as unknown as {connectionMap: QUICConnectionMap}).connectionMap
    const set = map.set.bind(map)
    const seen = new WeakSet<QUICConnection>()
    map.set = (id, connection) => {
      set(id, connection)
      if (!seen.has(connection)) {
        seen.add(connection)
        created(connection)
      }
      return map
    }
  }

  /**
   * Patch `serialRecvLock`: the lock QUICConnection.recv takes for every datagram, swapped for
   * a SerialLock on each connection as it enters the connection map (before its first recv).
   * Why: the library's Lock builds a timeout error with its stack, a timer and abort signals on
   * every acquisition, ~8 % of a swarming fetcher's CPU (record 0043); recv needs only mutual
   * exclusion, in arrival order, of itself and the send that follows it.
   */
  serializeRecvLocks(): void {
    this.watchConnections((connection) => {
      ;(connection as unknown as {recvLock: SerialLock}).recvLock = new SerialLock()
    })
  }
}

/** The payload size of one dgram send call: an explicit length, else the whole message. */
export function sentBytes(params: unknown[]): number {
  if (params.length >= 5 && typeof params[2] === 'number') return params[2]
  const message = params[0]
  if (Array.isArray(message)) return message.reduce((sum: number, part: {byteLength: number}) => sum + part.byteLength, 0)
  return (message as {byteLength?: number} | undefined)?.byteLength ?? 0
}
