// Reads frames (and the raw chunk bytes after a ChunkHeader) from a stream of byte pieces, as
// QUIC streams (a WHATWG ReadableStream) and TLS sockets (an async iterable) deliver them.
// Memory stays bounded: a length is checked against its type before the body is read, and at
// most one piece beyond what the caller asked for is ever held.
import type {ReadableStream} from 'node:stream/web'
import {LanspreadError, errorMessage} from '../errors.js'
import {ANY_LARGE_FRAME, type LargeFrameTypes, MAX_SMALL_FRAME_BYTES, TYPE_PEEK_BYTES, checkLargeFrame} from './frame-limits.js'
import {decodeFrameBody, frameLength} from './framing.js'
import {FRAME_PREFIX_BYTES, MAX_CHUNK_BYTES} from './limits.js'
import type {Message, MessageOf, MessageType} from './messages.js'
import {peerLabel, protocolViolation} from './violation.js'
import {fromWireError} from './wire-errors.js'

export type ByteSource = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>

export interface FrameReaderOptions {
  /** Names the peer in error messages (its peer_id or address). */
  peer?: string
  /**
   * The types that may come larger than MAX_SMALL_FRAME_BYTES on this stream (default: every
   * large type, as in a reply to our own request); a larger frame of any other is refused
   * after its first TYPE_PEEK_BYTES, before the rest is read.
   */
  largeTypes?: LargeFrameTypes
}

interface Pull {
  next(): Promise<Uint8Array | undefined>
  cancel(): Promise<void>
}

const EMPTY = new Uint8Array(0)

export class FrameReader {
  private readonly source: Pull
  private readonly peer: string | undefined
  private readonly largeTypes: LargeFrameTypes
  /** Bytes pulled from the source and not yet consumed: always the tail of one piece. */
  private leftover: Uint8Array = EMPTY
  /** After a violation or a source failure the stream is out of step: every later read fails. */
  private failure: LanspreadError | undefined

  constructor(source: ByteSource, options: FrameReaderOptions = {}) {
    this.source = pullFrom(source)
    this.peer = options.peer
    this.largeTypes = options.largeTypes ?? ANY_LARGE_FRAME
  }

  /** The next message, or undefined when the stream ended cleanly between frames. */
  async next(): Promise<Message | undefined> {
    return this.guard(async () => {
      const prefix = await this.take(FRAME_PREFIX_BYTES)
      if (prefix.length === 0) return undefined
      if (prefix.length < FRAME_PREFIX_BYTES) throw this.truncated('a frame length', prefix.length, FRAME_PREFIX_BYTES)
      const length = frameLength(prefix, this.peer)
      const body = length > MAX_SMALL_FRAME_BYTES ? await this.takeLarge(length) : await this.take(length)
      if (body.length < length) throw this.truncated('a frame', body.length, length)
      return decodeFrameBody(body, this.peer)
    })
  }

  /**
   * The next message, which must be one of `types`. A peer's Error message becomes the
   * matching LanspreadError (unless 'Error' is among `types`); the end of the stream and
   * any other type are violations.
   */
  async expect<T extends MessageType>(...types: T[]): Promise<MessageOf<T>> {
    const message = await this.next()
    if (message === undefined) throw this.fail(protocolViolation(this.peer, `the stream ended before ${types.join(' or ')}`))
    if ((types as MessageType[]).includes(message.type)) return message as MessageOf<T>
    if (message.type === 'Error') throw fromWireError(message, this.peer)
    throw this.fail(protocolViolation(this.peer, `expected ${types.join(' or ')}, got ${message.type}`))
  }

  /**
   * Exactly `length` raw bytes (a chunk after its ChunkHeader), or a truncation error. With
   * `into` (at least `length` long) they are copied there instead of into a new buffer, so a
   * caller can reuse chunk buffers; the result may still be a view of bytes already buffered.
   */
  async readRaw(length: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.guard(async () => {
      if (!Number.isSafeInteger(length) || length < 0 || length > MAX_CHUNK_BYTES) {
        throw protocolViolation(this.peer, `a raw read of ${length} bytes is outside 0..${MAX_CHUNK_BYTES}`)
      }
      const bytes = await this.take(length, into)
      if (bytes.length < length) throw this.truncated('chunk data', bytes.length, length)
      return bytes
    })
  }

  /** Stops reading and lets the source go (cancels a ReadableStream, returns an iterator). */
  async cancel(): Promise<void> {
    this.failure ??= new LanspreadError('internal', `the stream from ${peerLabel(this.peer)} was cancelled`)
    this.leftover = EMPTY
    await this.source.cancel().catch(() => undefined)
  }

  private async guard<T>(read: () => Promise<T>): Promise<T> {
    if (this.failure) throw this.failure
    try {
      return await read()
    } catch (error) {
      throw this.fail(error instanceof LanspreadError ? error : this.sourceFailed(error))
    }
  }

  private fail(error: LanspreadError): LanspreadError {
    this.failure = error
    this.leftover = EMPTY
    return error
  }

  /** Exactly n bytes, or fewer when the source ends first; pulls only while bytes are missing. */
  private async take(n: number, into?: Uint8Array): Promise<Uint8Array> {
    if (this.leftover.length >= n) {
      const out = this.leftover.subarray(0, n)
      this.leftover = this.leftover.subarray(n)
      return out
    }
    const out = into !== undefined && into.length >= n ? into.subarray(0, n) : Buffer.allocUnsafe(n)
    out.set(this.leftover, 0)
    let filled = this.leftover.length
    this.leftover = EMPTY
    while (filled < n) {
      const piece = await this.source.next()
      if (piece === undefined) return out.subarray(0, filled)
      const used = Math.min(piece.length, n - filled)
      out.set(piece.subarray(0, used), filled)
      filled += used
      if (used < piece.length) this.leftover = piece.subarray(used)
    }
    return out
  }

  /** A large frame's body: its head first, checked against its type's limit, then the rest. */
  private async takeLarge(length: number): Promise<Uint8Array> {
    const head = Buffer.from(await this.take(TYPE_PEEK_BYTES))
    if (head.length < TYPE_PEEK_BYTES) return head
    checkLargeFrame(head, length, this.largeTypes, this.peer)
    const body = Buffer.allocUnsafe(length)
    body.set(head, 0)
    const rest = await this.take(length - head.length, body.subarray(head.length))
    // take() may hand back bytes it already held instead of filling `into`.
    if (rest.buffer !== body.buffer || rest.byteOffset !== body.byteOffset + head.length) body.set(rest, head.length)
    return body.subarray(0, head.length + rest.length)
  }

  private truncated(what: string, got: number, expected: number): LanspreadError {
    return protocolViolation(this.peer, `the stream ended inside ${what} (${got} of ${expected} bytes)`)
  }

  private sourceFailed(cause: unknown): LanspreadError {
    // A stream reset with no reason (its connection closed) reaches us as null: say what it means.
    const why = cause === null || cause === undefined || errorMessage(cause) === '' ? 'it was reset (its connection closed?)' : errorMessage(cause)
    return new LanspreadError('io', `the stream from ${peerLabel(this.peer)} failed: ${why}`, {
      hint: 'the peer reset the stream or went away; lanspread asks again or drops the peer',
      cause,
    })
  }
}

function pullFrom(source: ByteSource): Pull {
  if ('getReader' in source) {
    const reader = source.getReader()
    return {
      next: async () => {
        const result = await reader.read()
        return result.done ? undefined : result.value
      },
      cancel: () => reader.cancel(),
    }
  }
  const iterator = source[Symbol.asyncIterator]()
  return {
    next: async () => {
      const result = await iterator.next()
      return result.done === true ? undefined : result.value
    },
    cancel: async () => {
      await iterator.return?.()
    },
  }
}
