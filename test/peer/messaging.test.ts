import {describe, expect, it} from 'vitest'
import {serveStream} from '../../src/peer/messaging.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import type {ByteStream, PeerConnection} from '../../src/transport/endpoint.js'

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
