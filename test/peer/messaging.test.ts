import {describe, expect, it} from 'vitest'
import {serveStream, subscribe} from '../../src/peer/messaging.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import type {Message} from '../../src/protocol/messages.js'
import type {ByteStream, PeerConnection} from '../../src/transport/endpoint.js'
import type {Feed} from '../../src/transport/framed-request.js'
import {nextConnection, startEndpointOf} from '../helpers/quic-endpoints.js'

const REQUEST = {type: 'GetChunk' as const, id: 'quake', manifest_hash: 'c'.repeat(64), path: 'pak0.eti', offset: 0, length: 2 * 1024 * 1024}

/** A stream carrying one request; its peer reads 256 KiB per `readDelayMs` (nothing, when undefined). */
function fakeStream(readDelayMs: number | undefined): {stream: ByteStream; received: () => number; cancelled: () => boolean} {
  let received = 0
  let cancelled = false
  const frame = encodeFrame(REQUEST)
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(frame)
      controller.close()
    },
  })
  const writable = new WritableStream<Uint8Array>({
    write: (piece) =>
      new Promise<void>((resolve, reject) => {
        if (readDelayMs === undefined) return void setTimeout(() => reject(new Error('reset')), 5_000)
        setTimeout(
          () => {
            received += piece.length
            resolve()
          },
          (readDelayMs * piece.length) / (256 * 1024),
        )
      }),
  })
  return {stream: {readable, writable, cancel: () => void (cancelled = true)}, received: () => received, cancelled: () => cancelled}
}

function chunkAnswer(onRelease: () => void, length = REQUEST.length) {
  const raw = new Uint8Array(length)
  return async () => ({reply: {type: 'ChunkHeader' as const, hash: 'a'.repeat(64), length: raw.length}, raw, release: onRelease})
}

describe('serveStream', () => {
  it('sends a chunk to a peer that reads slowly but steadily, even when the whole takes longer than the timeout', async () => {
    let released = 0
    const fake = fakeStream(40)
    const started = Date.now()
    await serveStream(
      fake.stream,
      {} as PeerConnection,
      'peer-x',
      chunkAnswer(() => released++),
      150,
    )
    expect(Date.now() - started).toBeGreaterThan(300)
    expect(fake.received()).toBeGreaterThanOrEqual(REQUEST.length)
    expect(fake.cancelled()).toBe(false)
    expect(released).toBe(1)
  })

  it('resets the stream of a peer that stops reading, within the timeout plus the chunk at 128 KiB/s, and gives the permit back', async () => {
    let released = 0
    const fake = fakeStream(undefined)
    const started = Date.now()
    // 64 KiB: the bound is 150 ms + 0.5 s.
    await expect(
      serveStream(
        fake.stream,
        {} as PeerConnection,
        'peer-x',
        chunkAnswer(() => released++, 64 * 1024),
        150,
      ),
    ).rejects.toThrow(/peer-x/)
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(fake.cancelled()).toBe(true)
    expect(released).toBe(1)
  })
})

const HAVE = (chunks: number[]): Message => ({type: 'Have', id: 'quake', content_hash: 'c'.repeat(64), chunks})

/** Two endpoints of `kind`; the second answers every stream with `feed` after a Pong. */
async function feedingPair(kind: 'quic' | 'portable', feed: Feed) {
  const a = await startEndpointOf(kind)
  const b = await startEndpointOf(kind)
  b.endpoint.onStream((stream, connection) => serveStream(stream, connection, 'a', async () => ({reply: {type: 'Pong'}, feed}), 2_000))
  a.endpoint.onStream(async (stream) => stream.cancel())
  const incoming = nextConnection(b.endpoint)
  const connection = await a.endpoint.dial('127.0.0.1', b.port)
  await incoming
  return connection
}

function ended(): {onEnd: (subscription: unknown, error?: unknown) => void; result: Promise<unknown>} {
  let onEnd: (subscription: unknown, error?: unknown) => void = () => undefined
  const result = new Promise<unknown>((resolve) => (onEnd = (_subscription, error) => resolve(error ?? 'clean')))
  return {onEnd, result}
}

describe.each(['quic', 'portable'] as const)('subscribe over %s (a reply, then frames on the same stream)', (kind) => {
  it('hands over the reply, then every pushed frame in order, then a clean end', async () => {
    const connection = await feedingPair(kind, async (push) => {
      for (const chunks of [[1], [2, 3], [4]]) await push(HAVE(chunks))
    })
    const frames: Message[] = []
    const end = ended()
    const subscription = await subscribe(connection, {type: 'Ping'}, {timeoutMs: 2_000, peer: 'b', onFrame: (m) => void frames.push(m), onEnd: end.onEnd})
    expect(subscription.reply).toEqual({type: 'Pong'})
    expect(await end.result).toBe('clean')
    expect(frames).toEqual([HAVE([1]), HAVE([2, 3]), HAVE([4])])
  })

  it('ends the subscription with the error when a frame is refused, and the pushing end then fails its next push', async () => {
    let pushFailed: (value: unknown) => void = () => undefined
    const failed = new Promise((resolve) => (pushFailed = resolve))
    const connection = await feedingPair(kind, async (push) => {
      await push(HAVE([1]))
      // Pushes until the stream is gone (bounded: each waits at most the request timeout).
      for (let i = 0; i < 200; i++) {
        try {
          await push(HAVE([i + 2]))
        } catch (error) {
          return pushFailed(error)
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      pushFailed(undefined)
    })
    const end = ended()
    await subscribe(
      connection,
      {type: 'Ping'},
      {
        timeoutMs: 2_000,
        peer: 'b',
        onFrame: () => {
          throw new Error('not a Have')
        },
        onEnd: end.onEnd,
      },
    )
    expect(await end.result).toMatchObject({message: 'not a Have'})
    expect(await failed).toBeInstanceOf(Error)
  })

  it('stops the pushing end once the subscriber cancels, and never reports its own cancel as an end', async () => {
    let pushFailed: (value: unknown) => void = () => undefined
    const failed = new Promise((resolve) => (pushFailed = resolve))
    const connection = await feedingPair(kind, async (push) => {
      for (let i = 0; i < 200; i++) {
        try {
          await push(HAVE([i]))
        } catch (error) {
          return pushFailed(error)
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      pushFailed(undefined)
    })
    const end = ended()
    const frames: Message[] = []
    const subscription = await subscribe(connection, {type: 'Ping'}, {timeoutMs: 2_000, peer: 'b', onFrame: (m) => void frames.push(m), onEnd: end.onEnd})
    await new Promise((resolve) => setTimeout(resolve, 100))
    subscription.cancel()
    expect(await failed).toBeInstanceOf(Error)
    const outcome = await Promise.race([end.result, new Promise((resolve) => setTimeout(() => resolve('no end'), 200))])
    expect(outcome).toBe('no end')
    expect(frames.length).toBeGreaterThan(0)
  })
})
