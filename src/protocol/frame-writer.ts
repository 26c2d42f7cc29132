// Writes frames (and raw chunk bytes) to a QUIC stream (a WHATWG WritableStream) or a TLS
// socket (a Node Writable), waiting for the sink to drain so a slow peer holds back the sender.
import type {Writable} from 'node:stream'
import {finished} from 'node:stream/promises'
import type {WritableStream, WritableStreamDefaultWriter} from 'node:stream/web'
import {LanspreadError, errorMessage} from '../errors.js'
import {encodeFrame} from './framing.js'
import type {Message} from './messages.js'
import {peerLabel} from './violation.js'

export type ByteSink = WritableStream<Uint8Array> | Writable

export interface FrameWriterOptions {
  /** Names the peer in error messages (its peer_id or address). */
  peer?: string
}

interface Push {
  write(bytes: Uint8Array): Promise<void>
  end(): Promise<void>
}

export class FrameWriter {
  private readonly sink: Push
  private readonly peer: string | undefined

  constructor(sink: ByteSink, options: FrameWriterOptions = {}) {
    this.sink = 'getWriter' in sink ? webPush(sink.getWriter()) : nodePush(sink)
    this.peer = options.peer
  }

  /** Sends one message as a frame; resolves once the sink accepted it (backpressure). */
  async send(message: Message): Promise<void> {
    await this.write(encodeFrame(message))
  }

  /** Sends raw bytes, such as a chunk after its ChunkHeader. */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    await this.write(bytes)
  }

  /** Ends the stream after everything written so far has been flushed. */
  async end(): Promise<void> {
    try {
      await this.sink.end()
    } catch (error) {
      throw this.sendFailed(error)
    }
  }

  private async write(bytes: Uint8Array): Promise<void> {
    try {
      await this.sink.write(bytes)
    } catch (error) {
      throw this.sendFailed(error)
    }
  }

  private sendFailed(cause: unknown): LanspreadError {
    return new LanspreadError('io', `could not send to ${peerLabel(this.peer)}: ${errorMessage(cause)}`, {
      hint: 'the peer closed the stream or went away; lanspread asks again or drops the peer',
      cause,
    })
  }
}

function webPush(writer: WritableStreamDefaultWriter<Uint8Array>): Push {
  return {
    write: async (bytes) => {
      await writer.ready
      await writer.write(bytes)
    },
    end: () => writer.close(),
  }
}

function nodePush(stream: Writable): Push {
  // Recorded here so a failed socket rejects the next write instead of crashing the process
  // with an unhandled 'error' event.
  let failure: unknown
  stream.on('error', (error) => {
    failure ??= error
  })
  return {
    write: async (bytes) => {
      assertOpen(stream, failure)
      if (stream.write(bytes)) return
      await drained(stream)
    },
    end: async () => {
      assertOpen(stream, failure)
      stream.end()
      await finished(stream, {readable: false})
    },
  }
}

function assertOpen(stream: Writable, failure: unknown): void {
  if (failure !== undefined) throw failure
  if (stream.destroyed || stream.writableEnded) throw new LanspreadError('io', 'the stream is already closed')
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown): void => {
      stream.off('drain', onDrain)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (error === undefined) resolve()
      else reject(error)
    }
    const onDrain = (): void => settle()
    const onError = (error: Error): void => settle(error)
    const onClose = (): void => settle(new LanspreadError('io', 'the stream closed while a write waited for it to drain'))
    stream.on('drain', onDrain)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}
