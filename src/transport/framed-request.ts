// One request and its reply in frames (SPEC §4.2), the same conversation on both data planes: a
// QUIC stream carries one request and its reply (src/peer/messaging.ts), a bulk TLS connection
// carries GetChunks one after the other (bulk-tls-client.ts, bulk-tls-server.ts). A plane gives
// a channel (how its frames are written, and read under its frame limits); this module runs the
// conversation. The asking end writes the request and reads one reply of the expected types
// within the timeout, an Error reply being the peer's refusal; the answering end reads one
// request, answers it, and answers a request that cannot be read or served with an Error frame.
import {FrameReader} from '../protocol/frame-reader.js'
import {FrameWriter} from '../protocol/frame-writer.js'
import type {Message, MessageOf, MessageType} from '../protocol/messages.js'
import {protocolViolation} from '../protocol/violation.js'
import {fromWireError} from '../protocol/wire-errors.js'
import type {ByteStream} from './endpoint.js'
import {withTimeout} from './with-timeout.js'

/** The asking end of one exchange. */
export interface RequestChannel {
  /** Writes the request's frame (a stream that carries one request ends its side after it). */
  send(request: Message): Promise<void>
  /** The reply, read under the plane's frame limits; undefined when the other end ended without one. */
  receive(): Promise<Message | undefined>
}

export interface AskOptions<T extends MessageType> {
  /** Names the peer in errors. */
  peer: string
  /** The replies the request takes (default: any). An Error reply is thrown as the peer's refusal, unless 'Error' is listed. */
  expect?: readonly T[]
  /** Bounds the whole exchange (a plane that bounds it already leaves it out); `onTimeout` stops what was abandoned. */
  timeoutMs?: number
  /** What timed out, for the message (default: "TYPE to PEER"). */
  what?: string
  onTimeout?: () => void
}

/** Writes `request` and returns the reply, one of `expect`. */
export async function ask<T extends MessageType = MessageType>(channel: RequestChannel, request: Message, options: AskOptions<T>): Promise<MessageOf<T>> {
  const exchange = async (): Promise<MessageOf<T>> => {
    await channel.send(request)
    return checkReply(await channel.receive(), request, options)
  }
  if (options.timeoutMs === undefined) return exchange()
  return withTimeout(exchange(), options.timeoutMs, options.what ?? `${request.type} to ${options.peer}`, options.onTimeout)
}

function checkReply<T extends MessageType>(reply: Message | undefined, request: Message, options: AskOptions<T>): MessageOf<T> {
  const {peer, expect} = options
  if (!reply) throw protocolViolation(peer, `closed the stream without answering ${request.type}`)
  if (expect === undefined ? reply.type !== 'Error' : (expect as readonly MessageType[]).includes(reply.type)) return reply as MessageOf<T>
  if (reply.type === 'Error') throw fromWireError(reply, peer)
  const wanted = (expect ?? []).filter((type) => type !== 'Error')
  throw protocolViolation(peer, `expected ${wanted.join(' or ')}, got ${reply.type}`)
}

/**
 * Writes a message that gets no reply (a pushed delta, Goodbye) and waits until the other end
 * took it: it ends its side once it has read the frame, or answers with an Error (thrown).
 */
export async function tell(channel: RequestChannel, message: Message, options: {peer: string}): Promise<void> {
  await channel.send(message)
  const extra = await channel.receive()
  if (extra?.type === 'Error') throw fromWireError(extra, options.peer)
}

/** A QUIC stream as the asking end: the request's frame and the end of our side, then the reply (any large type may come back). */
export function streamRequestChannel(stream: ByteStream, peer: string): RequestChannel {
  const writer = new FrameWriter(stream.writable, {peer})
  const reader = new FrameReader(stream.readable, {peer})
  return {
    send: async (request) => {
      await writer.send(request)
      await writer.end()
    },
    receive: () => reader.next(),
  }
}

/** A reply and, after a ChunkHeader, the chunk's raw bytes (the serving layer's GameRequestReply fits). */
export interface FramedReply {
  reply: Message
  /** Raw bytes written right after `reply` (a ChunkHeader's chunk). */
  raw?: Uint8Array
  /** Called once the plane is done with the bytes (written, or the write failed). */
  release?: () => void
  /** `reply`'s frame and `raw` back to back in one buffer, for a plane that asked for it (bulk TLS). */
  framed?: Uint8Array
  /**
   * A subscription (a stream plane's GetChunkMap): after `reply` the stream stays open and
   * carries what `feed` pushes, each push bounded by the plane, until `feed` settles.
   */
  feed?: Feed
}

/** Runs a subscription: pushes frames until it is done; `push` rejects once the stream is gone. */
export type Feed = (push: (message: Message) => Promise<void>) => Promise<void>

/** The answering end: requests read under the plane's frame limits, answers written. */
export interface AnswerChannel {
  /** The next request; undefined when the other end ended cleanly between requests. */
  receive(): Promise<Message | undefined>
  /** Writes the answer to `request` (undefined: nothing, for a push); it is released afterwards. */
  send(answer: FramedReply | undefined, request: Message): Promise<void>
  /** The other end sent no request and ended: ends ours. */
  end(): Promise<void>
  /** Answers with `error`'s Error frame and ends (SPEC §4.2); best effort, never throws. */
  refuse(error: unknown): Promise<void>
}

/** What serves one request: a reply (maybe with raw bytes), or undefined for a push. */
export type Answerer = (request: Message) => Promise<Message | FramedReply | undefined>

/** One request: answered, none came (the other end ended), or refused with an Error frame (the error says why). */
export type AnswerOutcome = {answered: Message} | {ended: true} | {refused: unknown}

/** Reads one request and answers it; a request that cannot be read or served is refused. */
export async function answerOne(channel: AnswerChannel, answerer: Answerer): Promise<AnswerOutcome> {
  let request: Message | undefined
  try {
    request = await channel.receive()
  } catch (error) {
    await channel.refuse(error)
    return {refused: error}
  }
  if (request === undefined) {
    await channel.end()
    return {ended: true}
  }
  let answer: FramedReply | undefined
  try {
    answer = asFramedReply(await answerer(request))
  } catch (error) {
    await channel.refuse(error)
    return {refused: error}
  }
  try {
    await channel.send(answer, request)
  } finally {
    answer?.release?.()
  }
  return {answered: request}
}

function asFramedReply(answer: Message | FramedReply | undefined): FramedReply | undefined {
  if (answer === undefined) return undefined
  return 'type' in answer ? {reply: answer} : answer
}
