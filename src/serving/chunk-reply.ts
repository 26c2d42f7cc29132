// One served chunk as a ChunkHeader and its bytes: read from its payload file into a fresh buffer,
// or (for a plane that writes framed replies) into a reused one with the header's frame in front,
// so bulk TLS sends it in one write with no 4 MiB allocation and no copy.
import path from 'node:path'
import {LanspreadError, ioError} from '../errors.js'
import type {ChunkBufferPool} from '../util/chunk-buffer-pool.js'
import {blake3} from '../library/blake3.js'
import {encodeFrame} from '../protocol/framing.js'
import type {ChunkHeader} from '../protocol/messages.js'
import type {GameRequestReply} from './game-request-handler.js'
import {type PayloadFileTarget, openPayloadFile} from './payload-file.js'

/**
 * Bytes kept free in front of a pooled chunk for its ChunkHeader frame: 4 bytes of length and
 * about 110 of JSON (a 64-digit hash and a length).
 */
export const FRAME_ROOM = 256

export interface ChunkToServe {
  target: PayloadFileTarget
  offset: number
  length: number
  /**
   * The chunk's BLAKE3 from this source's content hashes, when it has them: the header carries
   * it instead of hashing the bytes again. The downloader checks the bytes against its manifest
   * whatever the header says (SPEC §5), so a file changed behind the index is still caught there.
   */
  knownHash?: string
}

/** The chunk in a buffer of its own; `release` is the caller's (the permit). */
export async function freshChunkReply(chunk: ChunkToServe, release: () => void): Promise<GameRequestReply> {
  const bytes = Buffer.allocUnsafe(chunk.length)
  await readChunkInto(chunk, bytes)
  return {reply: header(chunk, bytes), raw: bytes, release}
}

/**
 * The chunk read into a pooled buffer at FRAME_ROOM, its header's frame written just before it.
 * The buffer goes back to the pool only through the returned `release` (the data plane's, once
 * its socket is done with the bytes), never through the permit's reclaim timer.
 */
export async function framedChunkReply(chunk: ChunkToServe, pool: ChunkBufferPool, releasePermit: () => void): Promise<GameRequestReply> {
  const lease = pool.take(FRAME_ROOM + chunk.length)
  try {
    const raw = lease.buffer.subarray(FRAME_ROOM, FRAME_ROOM + chunk.length)
    await readChunkInto(chunk, raw)
    const reply = header(chunk, raw)
    const frame = encodeFrame(reply)
    if (frame.length > FRAME_ROOM)
      throw new LanspreadError('internal', `a ChunkHeader frame of ${frame.length} bytes does not fit the ${FRAME_ROOM} reserved for it`)
    lease.buffer.set(frame, FRAME_ROOM - frame.length)
    const framed = lease.buffer.subarray(FRAME_ROOM - frame.length, FRAME_ROOM + chunk.length)
    return {
      reply,
      raw,
      framed,
      release: () => {
        releasePermit()
        lease.release()
      },
    }
  } catch (error) {
    lease.release()
    throw error
  }
}

function header(chunk: ChunkToServe, bytes: Uint8Array): ChunkHeader {
  return {type: 'ChunkHeader', hash: chunk.knownHash ?? blake3(bytes).toString('hex'), length: bytes.length}
}

/** Fills `into` (exactly the chunk's length) from the file, through the checks of openPayloadFile. */
async function readChunkInto(chunk: ChunkToServe, into: Uint8Array): Promise<void> {
  const {target, offset, length} = chunk
  const handle = await openPayloadFile(target)
  try {
    let filled = 0
    while (filled < length) {
      const {bytesRead} = await handle.read(into, filled, length - filled, offset + filled)
      if (bytesRead === 0) {
        throw new LanspreadError('not_downloaded', `${target.relative} of game ${target.id} shrank while it was read`, {
          hint: 'ask for the manifest again (GetGame) or use another source',
        })
      }
      filled += bytesRead
    }
  } catch (error) {
    if (error instanceof LanspreadError) throw error
    throw ioError('read', path.join(target.root, target.relative), error)
  } finally {
    await handle.close()
  }
}
