// What both peer transports (QUIC and portable) do alike around a request's body: run it as a
// promise, and read a whole answer under a size bound.
import {LanspreadError} from '../errors.js'
import type {ByteStream, RequestOptions} from './endpoint.js'

/** Largest answer requestBytes() keeps in memory unless told otherwise (a frame's cap). */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024

/** Runs the body as a promise even when it throws synchronously. */
export async function runBody<T>(body: (stream: ByteStream) => Promise<T>, stream: ByteStream): Promise<T> {
  return body(stream)
}

export async function readAll(stream: ByteStream, maxBytes = DEFAULT_MAX_RESPONSE_BYTES, what = 'a request'): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of stream.readable) {
    total += chunk.byteLength
    if (total > maxBytes) {
      throw new LanspreadError('invalid_input', `the answer to ${what} is larger than ${maxBytes} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, total)
}

/** One request whose body writes `bytes` and reads the whole answer: requestBytes() of both transports. */
export function requestBytesWith(
  request: <T>(body: (stream: ByteStream) => Promise<T>, options: RequestOptions) => Promise<T>,
  bytes: Uint8Array,
  options: RequestOptions & {maxBytes?: number},
): Promise<Uint8Array> {
  return request(async (stream) => {
    const writer = stream.writable.getWriter()
    await writer.write(bytes)
    await writer.close()
    return readAll(stream, options.maxBytes, options.what)
  }, options)
}
