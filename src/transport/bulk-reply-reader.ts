// Reads the replies on a bulk TLS connection (SPEC §4.5) through node's `onread` option: the
// TLS layer decrypts each record straight into the buffer named here, the chunk's own buffer for
// a chunk's bytes, so a chunk costs no 16 KiB Buffer per record, no stream machinery, no second copy.
import {LanspreadError} from '../errors.js'
import {decodeFrameBody, frameLength} from '../protocol/framing.js'
import {FRAME_PREFIX_BYTES} from '../protocol/limits.js'
import type {Message} from '../protocol/messages.js'
import {peerLabel, protocolViolation} from '../protocol/violation.js'

/**
 * Room for the frames around a chunk's bytes (a ChunkHeader, an Error: a few hundred bytes).
 * A larger frame, or bytes nobody asked for filling it, is a violation: memory stays bounded.
 */
export const REPLY_SCRATCH_BYTES = 64 * 1024

/** A reply: the frame, and for a ChunkHeader the chunk's bytes after it. */
export interface BulkReply {
  message: Message
  bytes?: Uint8Array
}

interface Expected {
  length: number
  /** At least `length` long: where the chunk's bytes are decrypted to. */
  into: Uint8Array
  /** Set once the ChunkHeader arrived: the bytes that follow go to `into`. */
  header?: Message
  filled: number
  resolve(reply: BulkReply): void
  reject(error: LanspreadError): void
}

export class BulkReplyReader {
  private readonly scratch = Buffer.allocUnsafe(REPLY_SCRATCH_BYTES)
  /** Bytes in `scratch` not yet decoded. */
  private held = 0
  private expected: Expected | undefined
  private failure: LanspreadError | undefined
  /** Bytes received so far: none means the server never answered (a stalled bulk port). */
  seenBytes = 0
  /** Called once, when the stream fell out of step: the connection closes its socket. */
  onFailure: (error: LanspreadError) => void = () => {}

  /** Give to tls.connect as `onread`: node asks `buffer()` where to put each read, then calls `callback`. */
  readonly onread = {
    buffer: (): Uint8Array => this.target(),
    callback: (nread: number): boolean => {
      this.seenBytes += nread
      this.received(nread)
      return true
    },
  }

  constructor(private readonly peer: string) {}

  /**
   * The next reply, for a GetChunk of `length` bytes about to be sent: the chunk lands in
   * `into` when it is at least `length` long, else in a new buffer.
   */
  expect(length: number, into?: Uint8Array): Promise<BulkReply> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.expected) return Promise.reject(new LanspreadError('internal', `a second reply was expected from ${peerLabel(this.peer)} while one is pending`))
    const buffer = into !== undefined && into.length >= length ? into : Buffer.allocUnsafe(length)
    return new Promise<BulkReply>((resolve, reject) => {
      this.expected = {length, into: buffer, filled: 0, resolve, reject}
    })
  }

  /** The stream ended or closed: a reply waited for fails (one already complete was delivered). */
  ended(): void {
    const raw = this.expected?.header === undefined ? undefined : this.expected
    if (raw) this.fail(protocolViolation(this.peer, `the stream ended inside chunk data (${raw.filled} of ${raw.length} bytes)`))
    else {
      this.fail(
        new LanspreadError('io', `${peerLabel(this.peer)} closed the bulk TLS connection before answering`, {
          hint: "the peer stopped, timed the connection out, or does not accept this peer's certificate; lanspread asks another source",
        }),
      )
    }
  }

  /** Stops: a reply waited for fails with `error`, and later reads are ignored. */
  fail(error: LanspreadError): void {
    if (this.failure) return
    this.failure = error
    this.held = 0
    const expected = this.expected
    this.expected = undefined
    expected?.reject(error)
    this.onFailure(error)
  }

  /** Where node puts the next bytes: the rest of the chunk, or the scratch after what it holds. */
  private target(): Uint8Array {
    const raw = this.expected
    if (raw?.header !== undefined) return raw.into.subarray(raw.filled, raw.length)
    // Full only after a failure (the socket is being destroyed): never hand node an empty buffer.
    return this.held < REPLY_SCRATCH_BYTES ? this.scratch.subarray(this.held) : this.scratch
  }

  private received(nread: number): void {
    if (this.failure) return
    const raw = this.expected
    if (raw?.header !== undefined) {
      raw.filled += nread
      if (raw.filled === raw.length) this.complete(raw)
      return
    }
    this.held += nread
    try {
      this.decode()
    } catch (error) {
      this.fail(error instanceof LanspreadError ? error : protocolViolation(this.peer, String(error), error))
    }
  }

  private decode(): void {
    while (this.failure === undefined && this.held >= FRAME_PREFIX_BYTES) {
      const length = frameLength(this.scratch, this.peer)
      if (FRAME_PREFIX_BYTES + length > REPLY_SCRATCH_BYTES) {
        throw protocolViolation(
          this.peer,
          `a frame of ${length} bytes on a bulk connection (its replies are ChunkHeader and Error frames of at most ${REPLY_SCRATCH_BYTES - FRAME_PREFIX_BYTES} bytes)`,
        )
      }
      if (this.held < FRAME_PREFIX_BYTES + length) return
      const message = decodeFrameBody(this.scratch.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + length), this.peer)
      this.consume(FRAME_PREFIX_BYTES + length)
      this.deliver(message)
    }
    if (this.held === REPLY_SCRATCH_BYTES) throw protocolViolation(this.peer, `${REPLY_SCRATCH_BYTES} bytes that are no frame`)
  }

  private deliver(message: Message): void {
    const expected = this.expected
    if (!expected) throw protocolViolation(this.peer, `a ${message.type} nobody asked for`)
    if (message.type !== 'ChunkHeader') {
      this.expected = undefined
      expected.resolve({message})
      return
    }
    if (message.length !== expected.length) {
      throw protocolViolation(this.peer, `a ChunkHeader of ${message.length} bytes answers a GetChunk of ${expected.length}`)
    }
    expected.header = message
    // The first bytes of the chunk may have come with its header: they move once, from the scratch.
    const early = Math.min(this.held, expected.length)
    expected.into.set(this.scratch.subarray(0, early), 0)
    expected.filled = early
    this.consume(early)
    if (expected.filled === expected.length) this.complete(expected)
  }

  private complete(expected: Expected): void {
    this.expected = undefined
    expected.resolve({message: expected.header!, bytes: expected.into.subarray(0, expected.length)})
  }

  private consume(n: number): void {
    this.scratch.copyWithin(0, n, this.held)
    this.held -= n
  }
}
