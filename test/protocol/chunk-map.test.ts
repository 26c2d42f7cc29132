import {describe, expect, it} from 'vitest'
import {isLanspreadError} from '../../src/errors.js'
import {
  MAX_BITMAP_TEXT_LENGTH,
  addChunk,
  bitmapByteLength,
  chunkBitmapProblem,
  chunkIndexes,
  chunkIndexesProblem,
  countChunks,
  decodeChunkBitmap,
  emptyChunkBitmap,
  encodeChunkBitmap,
  hasChunk,
} from '../../src/protocol/chunk-map.js'
import {MAX_SMALL_FRAME_BYTES, NO_LARGE_FRAME} from '../../src/protocol/frame-limits.js'
import {FrameReader} from '../../src/protocol/frame-reader.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import {FRAME_PREFIX_BYTES, MAX_CHUNKS_PER_GAME, MAX_FRAME_BYTES, MAX_HAVE_CHUNKS} from '../../src/protocol/limits.js'
import type {ChunkMap, Have, Message} from '../../src/protocol/messages.js'
import {parseMessage} from '../../src/protocol/parse-message.js'
import {HASH_B, countingSource, parseRefusal, seededRandom} from '../helpers/protocol.js'

function randomBitmap(chunkCount: number, seed: number): {bitmap: Uint8Array; set: number[]} {
  const random = seededRandom(seed)
  const bitmap = emptyChunkBitmap(chunkCount)
  const set: number[] = []
  for (let index = 0; index < chunkCount; index++) {
    if (random() < 0.4) {
      addChunk(bitmap, index)
      set.push(index)
    }
  }
  return {bitmap, set}
}

const refusal = parseRefusal

const chunkMap = (chunkCount: number, bitmap: string): ChunkMap => ({type: 'ChunkMap', id: 'quake3', content_hash: HASH_B, chunk_count: chunkCount, bitmap})
const have = (chunks: number[]): Have => ({type: 'Have', id: 'quake3', content_hash: HASH_B, chunks})

describe('the chunk bitmap codec', () => {
  it('lays chunks out LSB first: chunk i is bit i % 8 of byte i / 8', () => {
    const bitmap = emptyChunkBitmap(10)
    for (const index of [0, 3, 9]) expect(addChunk(bitmap, index)).toBe(true)
    expect([...bitmap]).toEqual([0x09, 0x02])
    expect(encodeChunkBitmap(bitmap, 10)).toBe('CQI=')
    expect(addChunk(bitmap, 3)).toBe(false)
    expect(hasChunk(bitmap, 3)).toBe(true)
    expect(hasChunk(bitmap, 4)).toBe(false)
    expect(countChunks(bitmap)).toBe(3)
    expect(chunkIndexes(bitmap)).toEqual([0, 3, 9])
  })

  it('round-trips bitmaps of every awkward size, up to the largest game', () => {
    for (const [seed, chunkCount] of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 16_385, MAX_CHUNKS_PER_GAME].entries()) {
      const {bitmap, set} = randomBitmap(chunkCount, seed)
      const text = encodeChunkBitmap(bitmap, chunkCount)
      expect(text.length).toBeLessThanOrEqual(MAX_BITMAP_TEXT_LENGTH)
      const decoded = decodeChunkBitmap(text, chunkCount)
      expect(decoded).toEqual(bitmap)
      expect(countChunks(decoded)).toBe(set.length)
      expect(chunkIndexes(decoded)).toEqual(set)
      expect(parseMessage(chunkMap(chunkCount, text))).toEqual(chunkMap(chunkCount, text))
    }
  })

  it('refuses a bitmap of the wrong length for its chunk count', () => {
    const text = encodeChunkBitmap(emptyChunkBitmap(10), 10)
    // 2 bytes and 3 bytes both take 4 characters: the decoded length is checked too
    expect(chunkBitmapProblem(text, 17)).toBe('expected 3 bytes for 17 chunks, got 2')
    expect(chunkBitmapProblem(text, 25)).toContain('expected 8 base64 characters')
    expect(chunkBitmapProblem('', 1)).toContain('expected 4 base64 characters')
    expect(chunkBitmapProblem('AA==', 0)).toContain('expected 0 base64 characters')
    expect(chunkBitmapProblem('', 0)).toBeUndefined()
    expect(() => encodeChunkBitmap(new Uint8Array(3), 10)).toThrow(/expected 2 bytes for 10 chunks, got 3/)
  })

  it('refuses a bit set past the last chunk, and text that is not canonical base64', () => {
    const bitmap = new Uint8Array([0x00, 0x04]) // bit 10 of a 10-chunk map
    const text = Buffer.from(bitmap).toString('base64')
    expect(chunkBitmapProblem(text, 10)).toContain('a bit is set past the last of 10 chunks')
    expect(chunkBitmapProblem(text, 11)).toBeUndefined()
    expect(() => encodeChunkBitmap(bitmap, 10)).toThrow(/past the last/)
    expect(chunkBitmapProblem('CQJ=', 10)).toBe('not canonical base64') // same bytes, a padding bit set
    expect(chunkBitmapProblem('CQ!=', 10)).toBe('not base64')
    expect(chunkBitmapProblem('C=I=', 10)).toBe('not base64')
    expect(chunkBitmapProblem('CQI ', 10)).toBe('not base64')
  })

  it('refuses hostile sizes before decoding anything', () => {
    expect(chunkBitmapProblem('', -1)).toContain('not a valid chunk count')
    expect(chunkBitmapProblem('', 1.5)).toContain('not a valid chunk count')
    expect(chunkBitmapProblem('A'.repeat(40), MAX_CHUNKS_PER_GAME + 1)).toContain('not a valid chunk count')
    expect(() => emptyChunkBitmap(MAX_CHUNKS_PER_GAME + 1)).toThrow(/not a valid chunk count/)
    expect(refusal(chunkMap(MAX_CHUNKS_PER_GAME + 1, ''))).toContain('ChunkMap.chunk_count')
    expect(refusal(chunkMap(-1, ''))).toContain('ChunkMap.chunk_count')
    expect(refusal(chunkMap(10, 'A'.repeat(MAX_BITMAP_TEXT_LENGTH + 1)))).toContain('ChunkMap.bitmap')
    expect(refusal(chunkMap(10, 'CQJ='))).toContain('ChunkMap.bitmap: not canonical base64')
  })

  it('throws a protocol violation naming the peer when a bitmap does not decode', () => {
    try {
      decodeChunkBitmap('CQI=', 25, 'peer-9')
      throw new Error('decoded')
    } catch (error) {
      expect(isLanspreadError(error, 'protocol')).toBe(true)
      expect((error as Error).message).toContain('peer peer-9 sent an invalid frame: ChunkMap.bitmap: expected 8 base64 characters')
    }
  })

  it('refuses setting a chunk outside the map', () => {
    expect(() => addChunk(emptyChunkBitmap(10), 16)).toThrow(/outside a map of 16 bits/)
    expect(() => addChunk(emptyChunkBitmap(10), -1)).toThrow(/outside/)
  })

  it('bounds the chunk count by what a GameManifest frame can list', () => {
    const minimumJsonBytesPerChunkHash = 67 // "<64 hex>",
    expect(MAX_CHUNKS_PER_GAME * minimumJsonBytesPerChunkHash).toBeGreaterThan(MAX_FRAME_BYTES)
    expect(bitmapByteLength(MAX_CHUNKS_PER_GAME)).toBe(16 * 1024)
  })
})

describe('Have', () => {
  it('takes unique chunk indexes in range, in any order', () => {
    expect(parseMessage(have([7, 0, MAX_CHUNKS_PER_GAME - 1]))).toEqual(have([7, 0, MAX_CHUNKS_PER_GAME - 1]))
  })

  it('refuses no chunks, too many, duplicates, and indexes that are not chunk indexes', () => {
    expect(refusal(have([]))).toContain('Have.chunks')
    expect(refusal(have(Array.from({length: MAX_HAVE_CHUNKS + 1}, (_, index) => index)))).toContain('Have.chunks')
    expect(refusal(have([3, 5, 3]))).toContain('Have.chunks: chunk 3 appears more than once')
    expect(refusal(have([-1]))).toContain('Have.chunks[0]')
    expect(refusal(have([1, 2.5]))).toContain('Have.chunks[1]')
    expect(refusal(have([MAX_CHUNKS_PER_GAME]))).toContain('Have.chunks[0]')
    expect(refusal({...have([1]), chunks: ['1']})).toContain('Have.chunks[0]')
  })

  it('leaves the game-specific range to the receiver, which knows the chunk count', () => {
    expect(chunkIndexesProblem([0, 9], 10)).toBeUndefined()
    expect(chunkIndexesProblem([0, 10], 10)).toBe("chunk 10 is outside the game's 10 chunks")
  })
})

describe('the frames of the swarm messages', () => {
  const largestMap = (): ChunkMap => {
    const bitmap = emptyChunkBitmap(MAX_CHUNKS_PER_GAME)
    bitmap.fill(0xff)
    return {...chunkMap(MAX_CHUNKS_PER_GAME, encodeChunkBitmap(bitmap, MAX_CHUNKS_PER_GAME)), id: 'g'.repeat(128)}
  }
  const largestHave = (): Have => ({
    ...have(Array.from({length: MAX_HAVE_CHUNKS}, (_, index) => MAX_CHUNKS_PER_GAME - 1 - index)),
    id: 'g'.repeat(128),
  })

  it('fit the small frame limit at their largest, so any stream may carry them', async () => {
    const messages: Message[] = [largestMap(), largestHave(), {type: 'GetChunkMap', id: 'quake3', content_hash: HASH_B}]
    for (const message of messages) {
      const frame = encodeFrame(message)
      expect(frame.length - FRAME_PREFIX_BYTES).toBeLessThanOrEqual(MAX_SMALL_FRAME_BYTES)
      const reader = new FrameReader(countingSource([frame]), {peer: 'peer-1', largeTypes: NO_LARGE_FRAME})
      expect(await reader.next()).toEqual(message)
    }
  })
})
