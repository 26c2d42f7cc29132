// One request per bidirectional stream (SPEC §4.2): a request frame, then one reply frame
// (or none, for a push), each bounded by the request timeout. The serving side reads one
// frame, answers it, and answers anything it cannot handle with an Error frame.
import {LanspreadError} from '../errors.js'
import {FrameReader} from '../protocol/frame-reader.js'
import {FrameWriter} from '../protocol/frame-writer.js'
import type {Message} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import {fromWireError, toWireError} from '../protocol/wire-errors.js'
import type {ByteStream, PeerConnection} from '../transport/endpoint.js'

export interface ExchangeOptions {
  timeoutMs: number
  /** Names the peer in errors. */
  peer: string
}

/** Sends `message` and returns the peer's reply; an Error reply becomes a LanspreadError. */
export async function exchange(connection: PeerConnection, message: Message, options: ExchangeOptions): Promise<Message> {
  return connection.request(
    async (stream) => {
      const writer = new FrameWriter(stream.writable, {peer: options.peer})
      await writer.send(message)
      await writer.end()
      const reply = await new FrameReader(stream.readable, {peer: options.peer}).next()
      if (!reply) throw protocolViolation(options.peer, `closed the stream without answering ${message.type}`)
      if (reply.type === 'Error') throw fromWireError(reply, options.peer)
      return reply
    },
    {timeoutMs: options.timeoutMs, what: `${message.type} to ${options.peer}`},
  )
}

/** Sends a message that gets no reply (a pushed delta, Goodbye), and waits until the peer took it. */
export async function tell(connection: PeerConnection, message: Message, options: ExchangeOptions): Promise<void> {
  await connection.request(
    async (stream) => {
      const writer = new FrameWriter(stream.writable, {peer: options.peer})
      await writer.send(message)
      await writer.end()
      // The peer closes its side once it has read the frame.
      const extra = await new FrameReader(stream.readable, {peer: options.peer}).next()
      if (extra?.type === 'Error') throw fromWireError(extra, options.peer)
    },
    {timeoutMs: options.timeoutMs, what: `${message.type} to ${options.peer}`},
  )
}

/** What the serving side does with one request: a reply, or undefined for a push. */
export type RequestDispatcher = (message: Message, connection: PeerConnection) => Promise<Message | undefined>

/**
 * Serves one incoming stream. A failure (bad frame, refused request) is answered with an
 * Error frame and rethrown, so the caller can count the peer's violations.
 */
export async function serveStream(stream: ByteStream, connection: PeerConnection, peer: string, dispatch: RequestDispatcher): Promise<void> {
  const writer = new FrameWriter(stream.writable, {peer})
  let reply: Message | undefined
  try {
    const request = await new FrameReader(stream.readable, {peer}).next()
    if (!request) return void (await writer.end().catch(() => {}))
    reply = await dispatch(request, connection)
  } catch (error) {
    await writer.send(toWireError(error)).catch(() => {})
    await writer.end().catch(() => {})
    throw error
  }
  if (reply) await writer.send(reply)
  await writer.end()
}

export function isProtocolViolation(error: unknown): boolean {
  return error instanceof LanspreadError && error.code === 'protocol'
}
