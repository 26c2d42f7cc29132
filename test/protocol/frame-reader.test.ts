import {ReadableStream} from 'node:stream/web'
import {describe, expect, it} from 'vitest'
import {isLanspreadError} from '../../src/errors.js'
import {LARGE_REQUESTS, LARGE_REQUESTS_BEFORE_HELLO, MAX_SMALL_FRAME_BYTES, NO_LARGE_FRAME} from '../../src/protocol/frame-limits.js'
import {FrameReader} from '../../src/protocol/frame-reader.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import {MAX_FRAME_BYTES} from '../../src/protocol/limits.js'
import type {Message} from '../../src/protocol/messages.js'
import {SAMPLES, countingSource, pieces, rawFrame, readableOf, seededRandom} from '../helpers/protocol.js'
import {lanspreadRejection} from '../helpers/rejection.js'

const ALL = Object.values(SAMPLES) as Message[]
const allFrames = (): Buffer => Buffer.concat(ALL.map((message) => encodeFrame(message)))

async function readAll(reader: FrameReader): Promise<Message[]> {
  const out: Message[] = []
  for (let message = await reader.next(); message !== undefined; message = await reader.next()) out.push(message)
  return out
}

const rejection = lanspreadRejection

function readerOf(bytes: Uint8Array, pieceSize = bytes.length || 1): FrameReader {
  return new FrameReader(countingSource(pieces(bytes, pieceSize)), {peer: 'peer-1'})
}

describe('FrameReader', () => {
  it('reads every message from one piece holding all the frames', async () => {
    expect(await readAll(readerOf(allFrames()))).toEqual(ALL)
  })

  it('reads every message when the frames arrive one byte at a time, or in odd pieces', async () => {
    expect(await readAll(readerOf(allFrames(), 1))).toEqual(ALL)
    expect(await readAll(readerOf(allFrames(), 7))).toEqual(ALL)
    expect(await readAll(readerOf(allFrames(), 4093))).toEqual(ALL)
  })

  it('reads from a WHATWG ReadableStream as QUIC streams give one', async () => {
    const reader = new FrameReader(readableOf(pieces(allFrames(), 100)))
    expect(await readAll(reader)).toEqual(ALL)
  })

  it('skips empty pieces', async () => {
    const frame = encodeFrame(SAMPLES.Ping)
    const reader = new FrameReader(countingSource([new Uint8Array(0), frame.subarray(0, 2), new Uint8Array(0), frame.subarray(2)]))
    expect(await reader.next()).toEqual(SAMPLES.Ping)
    expect(await reader.next()).toBeUndefined()
  })

  it('returns undefined at a clean end and for an empty stream', async () => {
    expect(await readerOf(new Uint8Array(0)).next()).toBeUndefined()
  })

  it('refuses a stream that ends inside the length prefix or inside the body', async () => {
    const frame = encodeFrame(SAMPLES.Hello)
    expect((await rejection(readerOf(frame.subarray(0, 3)).next())).message).toContain('ended inside a frame length (3 of 4 bytes)')
    const error = await rejection(readerOf(frame.subarray(0, frame.length - 1), 5).next())
    expect(error.code).toBe('protocol')
    expect(error.message).toContain(`peer peer-1 sent an invalid frame: the stream ended inside a frame (${frame.length - 5} of ${frame.length - 4} bytes)`)
  })

  it('refuses a body that is not JSON, a wrong field type and an unknown type, with what was wrong', async () => {
    expect((await rejection(readerOf(rawFrame('{"type":')).next())).message).toContain('not JSON')
    const wrongType = rawFrame(JSON.stringify({...SAMPLES.GetChunk, offset: 'zero'}))
    expect((await rejection(readerOf(wrongType).next())).message).toContain('GetChunk.offset')
    expect((await rejection(readerOf(rawFrame('{"type":"Teleport"}')).next())).message).toContain('unknown message type "Teleport"')
  })

  it('refuses an 8 MiB + 1 length before reading a byte of the body', async () => {
    const prefix = rawFrame('', MAX_FRAME_BYTES + 1)
    // An endless source: a reader that tried to read the body would never stop.
    const source = countingSource([prefix], new Uint8Array(64 * 1024))
    const error = await rejection(new FrameReader(source).next())
    expect(error.message).toContain('a frame of 8388609 bytes is over the limit of 8388608')
    expect(source.pulled).toBe(4)
  })

  it('accepts a frame of exactly 8 MiB, and pulls at most one piece past it', async () => {
    const head = '{"type":"GameList","games":[],"padding":"'
    const body = `${head}${'x'.repeat(MAX_FRAME_BYTES - head.length - 2)}"}`
    expect(Buffer.byteLength(body)).toBe(MAX_FRAME_BYTES)
    const piece = 64 * 1024
    const source = countingSource(pieces(rawFrame(body), piece), new Uint8Array(piece))
    const reader = new FrameReader(source)
    expect(await reader.next()).toEqual({type: 'GameList', games: []})
    expect(source.pulled).toBeLessThanOrEqual(4 + MAX_FRAME_BYTES + piece)
  })

  it('refuses a request frame over 64 KiB after its first bytes, unless its type may be large there', async () => {
    const piece = 4096
    const large = (type: string, length: number) => countingSource([rawFrame(`{"type":"${type}","padding":"`, length)], new Uint8Array(piece).fill(0x78))
    for (const [type, allowed] of [
      ['GetChunk', LARGE_REQUESTS],
      ['LibraryDelta', LARGE_REQUESTS_BEFORE_HELLO],
      ['GameManifest', LARGE_REQUESTS],
      ['GetChunk', NO_LARGE_FRAME],
    ] as const) {
      // An endless source: a reader that buffered the body would pull 8 MiB before refusing it.
      const source = large(type, MAX_FRAME_BYTES)
      const error = await rejection(new FrameReader(source, {largeTypes: allowed}).next())
      expect(error.message, type).toContain(`a ${type} frame of ${MAX_FRAME_BYTES} bytes is over the limit of ${MAX_SMALL_FRAME_BYTES}`)
      expect(source.pulled, type).toBeLessThanOrEqual(4 + 64 + piece)
    }
    // A Hello may be large, up to its own limit (1 MiB), and a large frame must name its type first.
    const hello = large('Hello', 2 * 1024 * 1024)
    expect((await rejection(new FrameReader(hello, {largeTypes: LARGE_REQUESTS_BEFORE_HELLO}).next())).message).toContain(
      'a Hello frame of 2097152 bytes is over the limit of 1048576',
    )
    const untyped = countingSource([rawFrame('{"padding":"', MAX_SMALL_FRAME_BYTES + 1)], new Uint8Array(piece))
    expect((await rejection(new FrameReader(untyped).next())).message).toContain(
      'a frame that does not start with its type of 65537 bytes is over the limit of 65536',
    )
    expect(untyped.pulled).toBeLessThanOrEqual(4 + 64 + piece)
  })

  it('reads a large frame of an allowed type that arrives in odd pieces', async () => {
    const games = Array.from({length: 600}, (_, i) => ({...SAMPLES.Hello.games![0]!, id: `game-${i}`}))
    const frame = encodeFrame({...SAMPLES.Hello, games} as Message)
    expect(frame.length).toBeGreaterThan(MAX_SMALL_FRAME_BYTES)
    for (const size of [1000, 61, frame.length]) {
      const reader = new FrameReader(countingSource(pieces(frame, size)), {largeTypes: LARGE_REQUESTS_BEFORE_HELLO})
      expect(await reader.next()).toMatchObject({type: 'Hello', games: expect.arrayContaining([expect.objectContaining({id: 'game-599'})])})
    }
  })

  it('keeps the bytes after a frame for the next read: frame, raw chunk, frame in one piece', async () => {
    const data = Buffer.from('abc')
    const stream = Buffer.concat([encodeFrame(SAMPLES.ChunkHeader), data, encodeFrame(SAMPLES.Pong)])
    for (const size of [stream.length, 1, 3]) {
      const reader = readerOf(stream, size)
      const header = await reader.expect('ChunkHeader')
      expect(Buffer.from(await reader.readRaw(header.length)).toString()).toBe('abc')
      expect(await reader.next()).toEqual(SAMPLES.Pong)
      expect(await reader.next()).toBeUndefined()
    }
  })

  it('readRaw returns exactly n bytes across pieces, or a truncation error', async () => {
    const bytes = Buffer.from(Array.from({length: 1000}, (_, index) => index % 251))
    const reader = readerOf(bytes, 33)
    expect(Buffer.from(await reader.readRaw(999)).equals(bytes.subarray(0, 999))).toBe(true)
    expect((await rejection(reader.readRaw(2))).message).toContain('ended inside chunk data (1 of 2 bytes)')
  })

  it('readRaw refuses a negative, fractional or over-16-MiB length', async () => {
    for (const length of [-1, 1.5, 16 * 1024 * 1024 + 1, Number.POSITIVE_INFINITY]) {
      expect((await rejection(readerOf(Buffer.alloc(10)).readRaw(length))).code).toBe('protocol')
    }
  })

  it('fails every read after a violation: the stream is out of step', async () => {
    const reader = readerOf(Buffer.concat([rawFrame('nope'), encodeFrame(SAMPLES.Ping)]))
    const first = await rejection(reader.next())
    expect(await rejection(reader.next())).toBe(first)
    expect(await rejection(reader.readRaw(1))).toBe(first)
  })

  it('turns a failing source (a reset stream) into an io error naming the peer', async () => {
    const source: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield encodeFrame(SAMPLES.Ping).subarray(0, 3)
        throw Object.assign(new Error('stream reset by peer'), {code: 'RESET'})
      },
    }
    const error = await rejection(new FrameReader(source, {peer: 'peer-9'}).next())
    expect(error.code).toBe('io')
    expect(error.message).toBe('the stream from peer peer-9 failed: stream reset by peer')
  })

  it('says "reset" for a source that fails with no reason (QUIC resets a stream of a closed connection with null)', async () => {
    const source: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield encodeFrame(SAMPLES.Ping).subarray(0, 3)
        throw null
      },
    }
    const error = await rejection(new FrameReader(source, {peer: 'peer-9'}).next())
    expect(error.code).toBe('io')
    expect(error.message).toBe('the stream from peer peer-9 failed: it was reset (its connection closed?)')
  })

  it('expect() returns the wanted type, turns an Error reply into its local error, and refuses others', async () => {
    expect(await readerOf(encodeFrame(SAMPLES.HelloAck)).expect('HelloAck')).toEqual(SAMPLES.HelloAck)
    const refused = await rejection(
      readerOf(encodeFrame({type: 'Error', code: 'busy', message: 'quake3 is being installed'})).expect('GameManifest', 'NotModified'),
    )
    expect(refused.code).toBe('busy')
    expect(refused.message).toContain('peer peer-1 answered "busy": "quake3 is being installed"')
    expect(await readerOf(encodeFrame(SAMPLES.Error)).expect('Pong', 'Error')).toEqual(SAMPLES.Error)
    expect((await rejection(readerOf(encodeFrame(SAMPLES.Ping)).expect('HelloAck'))).message).toContain('expected HelloAck, got Ping')
    expect((await rejection(readerOf(new Uint8Array(0)).expect('Pong'))).message).toContain('the stream ended before Pong')
  })

  it('cancel() lets a ReadableStream go', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({pull: () => undefined, cancel: () => void (cancelled = true)})
    const reader = new FrameReader(stream)
    await reader.cancel()
    expect(cancelled).toBe(true)
    await rejection(reader.next())
  })
})

describe('FrameReader fuzz', () => {
  async function expectOnlyLanspreadErrors(bytes: Uint8Array, pieceSize: number): Promise<void> {
    try {
      await readAll(readerOf(bytes, pieceSize))
    } catch (error) {
      if (!isLanspreadError(error)) throw error
    }
  }

  it('random bytes in random pieces never throw anything but a LanspreadError', async () => {
    const random = seededRandom(20_240_601)
    for (let round = 0; round < 2_000; round += 1) {
      const bytes = Uint8Array.from({length: Math.floor(random() * 64)}, () => Math.floor(random() * 256))
      // Often a plausible small length, so the body is parsed instead of refused as oversize.
      if (bytes.length >= 4 && random() < 0.7) Buffer.from(bytes.buffer).writeUInt32BE(bytes.length - 4, 0)
      await expectOnlyLanspreadErrors(bytes, 1 + Math.floor(random() * 8))
    }
  })

  it('valid frames with random bytes flipped never throw anything but a LanspreadError', async () => {
    const random = seededRandom(7)
    const frames = ALL.map((message) => encodeFrame(message))
    for (let round = 0; round < 2_000; round += 1) {
      const frame = Buffer.from(frames[round % frames.length] ?? frames[0]!)
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips -= 1) {
        frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256)
      }
      await expectOnlyLanspreadErrors(frame, 1 + Math.floor(random() * 64))
    }
  })

  it('random JSON values of the right shape never throw anything but a LanspreadError', async () => {
    const random = seededRandom(99)
    const values = [null, true, 0, -1, 1.5, 2 ** 53, '', 'x', '../x', [], {}, [1], {a: 1}, 'a'.repeat(70)]
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    for (let round = 0; round < 2_000; round += 1) {
      const sample = pick(ALL) as unknown as Record<string, unknown>
      const mutated = {...sample, [pick(Object.keys(sample))]: pick(values)}
      await expectOnlyLanspreadErrors(rawFrame(JSON.stringify(mutated)), 16)
    }
  })
})
