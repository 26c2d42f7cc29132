// The zip file as yauzl reads it: positioned reads from one open file descriptor, each byte
// counted for progress. The extractor owns the descriptor and closes it once no read is left.
import fs from 'node:fs'
import {Readable} from 'node:stream'
import yauzl from 'yauzl'

const CHUNK_SIZE = 256 * 1024

/**
 * The bytes [start, end) of a descriptor. Unlike fs.ReadStream (which closes even a borrowed
 * descriptor when destroyed), it never closes it, and it closes only when no read is in flight.
 */
class RangeStream extends Readable {
  private position: number
  private reading = false
  private onIdle: (() => void) | undefined

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super()
    this.position = start
  }

  override _read(size: number): void {
    const length = Math.min(Math.max(size, CHUNK_SIZE), this.end - this.position)
    if (length <= 0) {
      this.push(null)
      return
    }
    this.reading = true
    fs.read(this.fd, Buffer.allocUnsafe(length), 0, length, this.position, (error, bytesRead, buffer) => {
      this.reading = false
      this.onIdle?.()
      if (this.destroyed) return
      if (error !== null) return void this.destroy(error)
      if (bytesRead === 0) return void this.push(null)
      this.position += bytesRead
      this.onBytes(bytesRead)
      this.push(buffer.subarray(0, bytesRead))
    })
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.reading) return callback(error)
    this.onIdle = () => callback(error)
  }
}

export class CountingReader extends yauzl.RandomAccessReader {
  private pending = 0
  private idleWaiters: Array<() => void> = []

  constructor(
    private readonly fd: number,
    private readonly onBytes: (bytes: number) => void,
  ) {
    super()
  }

  /** A stream of the bytes [start, end) of the file; yauzl reads entry data through it. */
  override _readStreamForRange(start: number, end: number): Readable {
    const stream = new RangeStream(this.fd, start, end, this.onBytes)
    const release = this.hold()
    stream.once('close', release)
    return stream
  }

  /** A small positioned read (headers, the central directory) without a stream. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | null, bytesRead?: number) => void): void {
    const release = this.hold()
    fs.read(this.fd, buffer, offset, length, position, (error, bytesRead) => {
      release()
      if (error !== null) return callback(error)
      this.onBytes(bytesRead)
      callback(null, bytesRead)
    })
  }

  /** Resolves once no read of the descriptor is in flight, so it can be closed. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private hold(): () => void {
    this.pending += 1
    let released = false
    return () => {
      if (released) return
      released = true
      this.pending -= 1
      if (this.pending > 0) return
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /** yauzl calls this when its last reference goes; the descriptor is closed by its owner. */
  override close(callback: (error: Error | null) => void): void {
    setImmediate(() => callback(null))
  }
}
