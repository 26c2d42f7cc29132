// What the sessions of the portable transport (portable.ts) are configured with: HTTP/2 windows
// large enough that a 4 MiB chunk is not held back by flow control, a bound on streams at once,
// and the limits of the listener (per address, total), as the bulk TLS server has them.
import type {Http2Session, Settings} from 'node:http2'

export interface PortableLimits {
  /** TCP connections the listener holds at once (handshaking or admitted). */
  maxConnections: number
  /** TCP connections one source address may hold at once. */
  maxConnectionsPerAddress: number
  /** Streams a peer may have open at once on one session (requests in flight). */
  maxConcurrentStreams: number
  /** Per stream: what the other end may send before it is read (a chunk and its header fit). */
  streamWindowBytes: number
  /** Per session, all streams together. */
  connectionWindowBytes: number
  /** The largest HTTP/2 DATA frame (16 KiB by default: bigger frames cost fewer writes). */
  maxFrameBytes: number
  /** nghttp2's memory bound per session, in MB (a peer that does not read gets its streams refused). */
  maxSessionMemoryMb: number
}

export const DEFAULT_PORTABLE_LIMITS: PortableLimits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  maxConcurrentStreams: 128,
  streamWindowBytes: 8 * 1024 * 1024,
  connectionWindowBytes: 64 * 1024 * 1024,
  maxFrameBytes: 256 * 1024,
  maxSessionMemoryMb: 64,
}

export function portableSessionSettings(limits: PortableLimits): Settings {
  return {
    initialWindowSize: limits.streamWindowBytes,
    maxFrameSize: limits.maxFrameBytes,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    enablePush: false,
  }
}

/** Opens the session's connection window once it can be set (a client still connecting cannot). */
export function widenConnectionWindow(session: Http2Session, bytes: number): void {
  const widen = (): void => {
    if (!session.destroyed) session.setLocalWindowSize(bytes)
  }
  if (session.connecting) session.once('connect', widen)
  else widen()
}
