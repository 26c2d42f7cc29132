// The request/reply of src/transport/framed-request.ts over QUIC: one request per bidirectional
// stream (SPEC §4.2), a request frame, then one reply frame (or none, for a push), each bounded
// by the request timeout. The serving side reads one frame, answers it, and answers anything it
// cannot handle with an Error frame.
import {LanspreadError} from '../errors.js'
import {LARGE_REQUESTS, type LargeFrameTypes} from '../protocol/frame-limits.js'
import {FrameReader} from '../protocol/frame-reader.js'
import {FrameWriter} from '../protocol/frame-writer.js'
import type {Message} from '../protocol/messages.js'
import {toWireError} from '../protocol/wire-errors.js'
import type {GameRequestReply} from '../serving/game-request-handler.js'
import type {ByteStream, PeerConnection} from '../transport/endpoint.js'
import {type AnswerChannel, type Feed, type FramedReply, answerOne, ask, streamRequestChannel, tell as tellOver} from '../transport/framed-request.js'
import {withTimeout} from '../transport/with-timeout.js'

export interface ExchangeOptions {
  timeoutMs: number
  /** Names the peer in errors. */
  peer: string
}

/** Sends `message` and returns the peer's reply; an Error reply becomes a LanspreadError. */
export async function exchange(connection: PeerConnection, message: Message, options: ExchangeOptions): Promise<Message> {
  return connection.request((stream) => ask(streamRequestChannel(stream, options.peer), message, {peer: options.peer}), {
    timeoutMs: options.timeoutMs,
    what: `${message.type} to ${options.peer}`,
  })
}

/** Sends a message that gets no reply (a pushed delta, Goodbye), and waits until the peer took it. */
export async function tell(connection: PeerConnection, message: Message, options: ExchangeOptions): Promise<void> {
  await connection.request((stream) => tellOver(streamRequestChannel(stream, options.peer), message, {peer: options.peer}), {
    timeoutMs: options.timeoutMs,
    what: `${message.type} to ${options.peer}`,
  })
}

/** An open subscription: the reply that opened it; cancel() ends it from our side. */
export interface Subscription {
  reply: Message
  cancel(): void
}

export interface SubscribeOptions extends ExchangeOptions {
  /** Each frame the peer pushes after the reply, in order; a throw ends the subscription with that error. */
  onFrame(message: Message): void
  /** `ended` ended: by the peer (cleanly: no error), broken (the error), never after cancel(). */
  onEnd(ended: Subscription, error?: unknown): void
}

/**
 * Sends a request that opens a subscription (SPEC §5.1's GetChunkMap with `subscribe`): the reply
 * comes within the timeout, then the peer pushes frames on the same stream, each validated like
 * any frame, until either end closes it.
 */
export async function subscribe(connection: PeerConnection, message: Message, options: SubscribeOptions): Promise<Subscription> {
  const what = `${message.type} to ${options.peer}`
  const stream = await connection.openStream({timeoutMs: options.timeoutMs, what})
  const channel = streamRequestChannel(stream, options.peer)
  let cancelled = false
  const cancel = (reason: unknown): void => {
    cancelled = true
    stream.cancel(reason)
  }
  const reply = await ask(channel, message, {peer: options.peer, timeoutMs: options.timeoutMs, what, onTimeout: () => cancel(new Error('timed out'))}).catch(
    (error: unknown) => {
      cancel(error)
      throw error
    },
  )
  const subscription: Subscription = {reply, cancel: () => cancel(new Error('unsubscribed'))}
  void (async () => {
    for (let frame = await channel.receive(); frame !== undefined && !cancelled; frame = await channel.receive()) options.onFrame(frame)
  })().then(
    () => cancelled || options.onEnd(subscription),
    (error: unknown) => {
      if (cancelled) return
      cancel(error)
      options.onEnd(subscription, error)
    },
  )
  return subscription
}

/** A reply, a reply followed by raw bytes (a ChunkHeader and its chunk) from the downloads layer, or one that opens a feed. */
export type StreamReply = Message | GameRequestReply | FramedReply

/** The slowest rate a peer may read a chunk at before its stream is reset (128 KiB/s: 32 s for 4 MiB). */
const MIN_CHUNK_RATE_BYTES_PER_S = 128 * 1024

/** What the serving side does with one request: a reply, or undefined for a push. */
export type RequestDispatcher = (message: Message, connection: PeerConnection) => Promise<StreamReply | undefined>

/**
 * Serves one incoming stream. A failure (bad frame, refused request) is answered with an
 * Error frame and rethrown, so the caller can count the peer's violations. With `timeoutMs`,
 * reading the request and writing the answer are each bounded: a peer that stalls (never
 * sends, never reads its chunk) loses the stream, and a chunk's permit comes back.
 * A request frame is small unless its type is one of `largeTypes` (refused before it is read).
 */
export async function serveStream(
  stream: ByteStream,
  connection: PeerConnection,
  peer: string,
  dispatch: RequestDispatcher,
  timeoutMs?: number,
  largeTypes: LargeFrameTypes = LARGE_REQUESTS,
): Promise<void> {
  const outcome = await answerOne(streamAnswerChannel(stream, peer, timeoutMs, largeTypes), (request) => dispatch(request, connection))
  if ('refused' in outcome) throw outcome.refused
}

function streamAnswerChannel(stream: ByteStream, peer: string, timeoutMs: number | undefined, largeTypes: LargeFrameTypes): AnswerChannel {
  const writer = new FrameWriter(stream.writable, {peer})
  const reader = new FrameReader(stream.readable, {peer, largeTypes})
  const bounded = <T>(work: Promise<T>, what: string, extraMs = 0): Promise<T> =>
    timeoutMs === undefined ? work : withTimeout(work, timeoutMs + extraMs, `${what} of peer ${peer}`, () => stream.cancel(new Error('timed out')))
  return {
    receive: () => bounded(reader.next(), 'reading a request'),
    // A chunk takes as long as its bytes need on a slow link (QUIC moves a few MB/s): the bound
    // grows with its size, so only a peer that really stalls loses the stream.
    send: (answer, request) =>
      answer?.feed
        ? sendFeed(writer, answer.reply, answer.feed, (work, what) => bounded(work, what))
        : bounded(
            sendAnswer(writer, answer?.reply, answer?.raw),
            `answering ${request.type}`,
            answer?.raw ? Math.ceil((answer.raw.length / MIN_CHUNK_RATE_BYTES_PER_S) * 1000) : 0,
          ),
    end: () => writer.end().catch(() => {}),
    refuse: (error) =>
      bounded(
        writer.send(toWireError(error)).then(() => writer.end()),
        'sending an Error',
      ).catch(() => {}),
  }
}

/** The reply, then every frame the feed pushes (each under the request timeout), then the end of the stream. */
async function sendFeed(writer: FrameWriter, reply: Message, feed: Feed, bounded: (work: Promise<void>, what: string) => Promise<void>): Promise<void> {
  await bounded(writer.send(reply), `answering with ${reply.type}`)
  await feed((message) => bounded(writer.send(message), `sending ${message.type}`))
  // The subscription ended on our side (the download ended) or the stream broke: either way it is over.
  await bounded(writer.end(), 'ending a subscription').catch(() => undefined)
}

async function sendAnswer(writer: FrameWriter, reply: Message | undefined, raw: Uint8Array | undefined): Promise<void> {
  if (reply) await writer.send(reply)
  if (raw) await writer.writeRaw(raw)
  await writer.end()
}

export function isProtocolViolation(error: unknown): boolean {
  return error instanceof LanspreadError && error.code === 'protocol'
}
