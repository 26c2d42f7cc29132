// One HTTP/2 stream of the portable transport seen as the transport's ByteStream (endpoint.ts):
// Node's Http2Stream behind web streams, with the semantics the QUIC streams have for callers.
// Written by hand, not with Duplex.toWeb: cancelling the readable there destroys the whole
// stream (an RST that can drop an answer still in flight), and a write there resolves before
// its bytes left, while a chunk's buffer is reused as soon as its write resolves.
import {constants, type Http2Stream} from 'node:http2'
import {ByteLengthQueuingStrategy, ReadableStream, WritableStream} from 'node:stream/web'
import {LanspreadError, errorMessage} from '../errors.js'
import type {ByteStream} from './endpoint.js'

/** Bytes the readable side buffers before it stops reading (HTTP/2 flow control then holds the sender). */
const READ_BUFFER_BYTES = 1024 * 1024

/** A ByteStream that can also drop whatever input still comes (the exchange is over, its reader forgotten). */
export interface PortableByteStream extends ByteStream {
  drain(): void
}

export function byteStreamOf(stream: Http2Stream, what: string): PortableByteStream {
  // An 'error' with no listener would be an uncaught exception: it is reported through the reads and writes instead.
  let failure: unknown
  stream.on('error', (error: unknown) => (failure ??= error))
  // destroy, not close(code): close ends the write side first, and the peer would read a clean end.
  const cancel = (reason?: unknown): void => {
    failure ??= reason ?? new Error('cancelled')
    if (stream.destroyed) return
    stream.destroy(failure instanceof Error ? failure : new Error(errorMessage(failure)))
  }
  const input = {discarding: false}
  const drain = (): void => {
    input.discarding = true
    stream.resume()
  }
  return {readable: readableOf(stream, what, () => failure, input), writable: writableOf(stream, what, () => failure, cancel), cancel, drain}
}

function readableOf(stream: Http2Stream, what: string, failure: () => unknown, input: {discarding: boolean}): ReadableStream<Uint8Array> {
  let settled = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        stream.on('data', (chunk: Buffer) => {
          if (settled || input.discarding) return
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) stream.pause()
        })
        // An end on a stream destroyed here (its session went) is no end of the peer's answer.
        stream.once('end', () => {
          if (settled) return
          settled = true
          if (input.discarding) return
          if (stream.destroyed || failure() !== undefined) controller.error(streamError(what, stream, failure()))
          else controller.close()
        })
        // Closed without its end: reset by the peer, cancelled here, or the connection went.
        stream.once('close', () => {
          if (settled) return
          settled = true
          if (!input.discarding) controller.error(streamError(what, stream, failure()))
        })
      },
      pull() {
        stream.resume()
      },
      // HTTP/2 cannot stop one direction alone without resetting both: what still comes is read and dropped.
      cancel() {
        input.discarding = true
        stream.resume()
      },
    },
    new ByteLengthQueuingStrategy({highWaterMark: READ_BUFFER_BYTES}),
  )
}

function writableOf(stream: Http2Stream, what: string, failure: () => unknown, cancel: (reason?: unknown) => void): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    // A reset (by the peer or here) errors the write side too, so a writer waiting on it learns.
    start(controller) {
      // A reset finishes the write side too ('finish' comes first): the reset code tells.
      stream.once('close', () => {
        if (!stream.writableFinished || wasReset(stream)) controller.error(streamError(what, stream, failure()))
      })
    },
    // Resolves once nghttp2 took the bytes (the write's callback), so the caller may reuse the buffer.
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (stream.destroyed || stream.writableEnded) {
          reject(streamError(what, stream, failure()))
          return
        }
        stream.write(chunk, (error) => (error ? reject(streamError(what, stream, error)) : resolve()))
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (stream.writableFinished) return resolve()
        if (stream.destroyed) return reject(streamError(what, stream, failure()))
        const onFinish = (): void => {
          stream.off('close', onClose)
          resolve()
        }
        const onClose = (): void => {
          stream.off('finish', onFinish)
          if (stream.writableFinished) resolve()
          else reject(streamError(what, stream, failure()))
        }
        stream.once('finish', onFinish)
        stream.once('close', onClose)
        stream.end()
      }),
    abort: (reason) => cancel(reason),
  })
}

function wasReset(stream: Http2Stream): boolean {
  return stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR
}

function streamError(what: string, stream: Http2Stream, cause: unknown): LanspreadError {
  const reason = cause !== undefined ? errorMessage(cause) : wasReset(stream) ? `reset (code ${stream.rstCode})` : 'closed'
  return new LanspreadError('io', `${what}: the stream ended early (${reason})`, {
    hint: 'the peer may have closed the stream or gone away; it is tried again later',
    ...(cause === undefined ? {} : {cause}),
  })
}
