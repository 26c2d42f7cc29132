// The have-map of a game (SPEC §5.1): which of its chunks a peer verified, as a bit array and as
// the base64 text a ChunkMap carries. Chunk i is the i-th chunk hash of the manifest's files in
// order (an empty file has one); its bit is `bytes[i >> 3] & (1 << (i & 7))` (LSB first).
import {LanspreadError} from '../errors.js'
import {MAX_CHUNKS_PER_GAME} from './limits.js'
import {protocolViolation} from './violation.js'

/** Bytes of the bit array of `chunkCount` chunks. */
export function bitmapByteLength(chunkCount: number): number {
  return Math.ceil(chunkCount / 8)
}

/** Characters of the base64 text of `chunkCount` chunks (padded). */
export function bitmapTextLength(chunkCount: number): number {
  return 4 * Math.ceil(bitmapByteLength(chunkCount) / 3)
}

/** The longest bitmap text a ChunkMap may carry: the largest game's. */
export const MAX_BITMAP_TEXT_LENGTH = bitmapTextLength(MAX_CHUNKS_PER_GAME)

/** An empty bit array of `chunkCount` chunks. */
export function emptyChunkBitmap(chunkCount: number): Uint8Array {
  const problem = countProblem(chunkCount)
  if (problem !== undefined) throw new LanspreadError('internal', problem)
  return new Uint8Array(bitmapByteLength(chunkCount))
}

export function hasChunk(bitmap: Uint8Array, index: number): boolean {
  return ((bitmap[index >> 3] ?? 0) & (1 << (index & 7))) !== 0
}

/** Sets chunk `index`; true when it was not set before. */
export function addChunk(bitmap: Uint8Array, index: number): boolean {
  const byte = index >> 3
  const bit = 1 << (index & 7)
  if (index < 0 || byte >= bitmap.length) throw new LanspreadError('internal', `chunk ${index} is outside a map of ${bitmap.length * 8} bits`)
  if ((bitmap[byte]! & bit) !== 0) return false
  bitmap[byte] = bitmap[byte]! | bit
  return true
}

/** Chunks set. */
export function countChunks(bitmap: Uint8Array): number {
  let count = 0
  for (const byte of bitmap) {
    let rest = byte
    for (; rest !== 0; count++) rest &= rest - 1
  }
  return count
}

/** The indexes set, ascending. */
export function chunkIndexes(bitmap: Uint8Array): number[] {
  const indexes: number[] = []
  for (let byte = 0; byte < bitmap.length; byte++) {
    const value = bitmap[byte]!
    if (value === 0) continue
    for (let bit = 0; bit < 8; bit++) if ((value & (1 << bit)) !== 0) indexes.push(byte * 8 + bit)
  }
  return indexes
}

/** The base64 text of a bit array of `chunkCount` chunks (no bit set past it). */
export function encodeChunkBitmap(bitmap: Uint8Array, chunkCount: number): string {
  const problem = countProblem(chunkCount) ?? bytesProblem(bitmap, chunkCount)
  if (problem !== undefined) throw new LanspreadError('internal', `cannot encode a chunk map: ${problem}`)
  return Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.length).toString('base64')
}

/** The bit array a peer's bitmap text stands for, or a protocol violation naming what is wrong. */
export function decodeChunkBitmap(text: string, chunkCount: number, peer?: string): Uint8Array {
  const problem = chunkBitmapProblem(text, chunkCount)
  if (problem !== undefined) throw protocolViolation(peer, `ChunkMap.bitmap: ${problem}`)
  return new Uint8Array(Buffer.from(text, 'base64'))
}

/**
 * What is wrong with a bitmap text for `chunkCount` chunks, or undefined: it must be canonical
 * padded base64 of exactly ceil(chunkCount / 8) bytes, with no bit set at or past chunkCount.
 */
export function chunkBitmapProblem(text: string, chunkCount: number): string | undefined {
  const problem = countProblem(chunkCount)
  if (problem !== undefined) return problem
  const expected = bitmapTextLength(chunkCount)
  if (text.length !== expected) return `expected ${expected} base64 characters for ${chunkCount} chunks, got ${text.length}`
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return 'not base64'
  const bytes = Buffer.from(text, 'base64')
  // Node's decoder skips what it cannot read and ignores padding bits: only canonical text re-encodes to itself.
  if (bytes.toString('base64') !== text) return 'not canonical base64'
  return bytesProblem(bytes, chunkCount)
}

/** What is wrong with chunk indexes a peer announced for a game of `chunkCount` chunks, or undefined. */
export function chunkIndexesProblem(indexes: readonly number[], chunkCount: number): string | undefined {
  const outside = indexes.find((index) => !Number.isInteger(index) || index < 0 || index >= chunkCount)
  return outside === undefined ? undefined : `chunk ${outside} is outside the game's ${chunkCount} chunks`
}

function bytesProblem(bytes: Uint8Array, chunkCount: number): string | undefined {
  if (bytes.length !== bitmapByteLength(chunkCount)) return `expected ${bitmapByteLength(chunkCount)} bytes for ${chunkCount} chunks, got ${bytes.length}`
  const usedBits = chunkCount & 7
  if (usedBits !== 0 && (bytes[bytes.length - 1]! & (0xff << usedBits) & 0xff) !== 0) return `a bit is set past the last of ${chunkCount} chunks`
  return undefined
}

function countProblem(chunkCount: number): string | undefined {
  if (Number.isInteger(chunkCount) && chunkCount >= 0 && chunkCount <= MAX_CHUNKS_PER_GAME) return undefined
  return `${chunkCount} chunks is not a valid chunk count (0 to ${MAX_CHUNKS_PER_GAME})`
}
