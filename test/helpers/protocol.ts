// Test material for the peer protocol: one valid sample of every message, the refusal of an
// invalid one, byte sources that deliver frames in chosen pieces (and count what was pulled),
// and a seeded random generator.
import {ReadableStream} from 'node:stream/web'
import {expect} from 'vitest'
import {isLanspreadError} from '../../src/errors.js'
import type {GameSummary} from '../../src/library/summary.js'
import type {Message, MessageType} from '../../src/protocol/messages.js'
import {parseMessage} from '../../src/protocol/parse-message.js'

export const PEER_ID = '3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b'
export const EPOCH = 'Zk3J9x-Qe_7'
export const HASH_A = 'a'.repeat(64)
export const HASH_B = '0123456789abcdef'.repeat(4)

export function summary(id: string, overrides: Partial<GameSummary> = {}): GameSummary {
  return {
    id,
    name: `Game ${id}`,
    eti_version: '1.32',
    size: 1_234_567,
    downloaded: true,
    installed: false,
    manifest_hash: HASH_A,
    availability: 'ready',
    needs_recovery: false,
    ...overrides,
  }
}

const handshake = {
  peer_id: PEER_ID,
  proto_ver: 1,
  library_rev: 7,
  library_epoch: EPOCH,
  library_digest: HASH_B,
  features: ['bulk-tls'],
  listen_port: 47_000,
  bulk_port: 47_001,
  hostname: 'lan-box',
}

/** One valid message of every type (the test checks that none is missing). */
export const SAMPLES: {readonly [T in MessageType]: Extract<Message, {type: T}>} = {
  Hello: {type: 'Hello', ...handshake, games: [summary('quake3')]},
  HelloAck: {type: 'HelloAck', peer_id: PEER_ID, proto_ver: 1, library_rev: 0, library_epoch: 'e', library_digest: HASH_A, features: [], listen_port: 1},
  LibrarySummary: {type: 'LibrarySummary', library_rev: 7, library_epoch: EPOCH, library_digest: HASH_B, game_count: 2},
  GetLibrary: {type: 'GetLibrary', since: {library_epoch: EPOCH, library_rev: 5}},
  LibrarySnapshot: {
    type: 'LibrarySnapshot',
    library_rev: 7,
    library_epoch: EPOCH,
    library_digest: HASH_B,
    games: [summary('quake3'), summary('doom', {eti_version: null, downloaded: false, availability: 'local_only'})],
  },
  LibraryDelta: {
    type: 'LibraryDelta',
    library_epoch: EPOCH,
    from_rev: 5,
    to_rev: 7,
    added: [summary('ut2004')],
    updated: [summary('quake3')],
    removed: ['doom'],
    library_digest: HASH_B,
  },
  ListGames: {type: 'ListGames'},
  GameList: {type: 'GameList', games: [summary('quake3')]},
  GetGame: {type: 'GetGame', id: 'quake3', content_hash: HASH_A},
  GameManifest: {
    type: 'GameManifest',
    id: 'quake3',
    manifest_hash: HASH_A,
    content_hash: HASH_B,
    chunk_size: 4 * 1024 * 1024,
    files: [
      {path: 'baseq3/pak0.pk3', size: 10 * 1024 * 1024, hash: HASH_A, chunks: [HASH_A, HASH_B, HASH_A]},
      {path: 'empty.txt', size: 0, hash: HASH_B, chunks: [HASH_B]},
      {path: 'version.ini', size: 5, hash: HASH_B, chunks: [HASH_A]},
    ],
  },
  NotModified: {type: 'NotModified'},
  GetChunk: {type: 'GetChunk', id: 'quake3', manifest_hash: HASH_A, path: 'baseq3/pak0.pk3', offset: 4 * 1024 * 1024, length: 4 * 1024 * 1024},
  ChunkHeader: {type: 'ChunkHeader', hash: HASH_A, length: 3},
  GetChunkMap: {type: 'GetChunkMap', id: 'quake3', content_hash: HASH_B},
  // chunks 0, 3 and 9 of 10: bytes 0x09 0x02
  ChunkMap: {type: 'ChunkMap', id: 'quake3', content_hash: HASH_B, chunk_count: 10, bitmap: 'CQI='},
  Have: {type: 'Have', id: 'quake3', content_hash: HASH_B, chunks: [4, 1]},
  Ping: {type: 'Ping'},
  Pong: {type: 'Pong'},
  Goodbye: {type: 'Goodbye', peer_id: PEER_ID},
  Error: {type: 'Error', code: 'not_found', message: 'no game "quake3" here'},
}

/** The protocol error parseMessage throws for `value` (from peer-1), or a failure when it accepts it. */
export function parseRefusal(value: unknown): string {
  try {
    parseMessage(value, 'peer-1')
  } catch (error) {
    expect(isLanspreadError(error, 'protocol')).toBe(true)
    return (error as Error).message
  }
  throw new Error(`accepted ${JSON.stringify(value).slice(0, 200)}`)
}

/** A frame with any body, valid or not. */
export function rawFrame(body: string | Uint8Array, length = typeof body === 'string' ? Buffer.byteLength(body) : body.length): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32BE(length, 0)
  return Buffer.concat([prefix, bytes])
}

/** Splits bytes into pieces of `size` bytes (the last one shorter). */
export function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let offset = 0; offset < bytes.length; offset += size) out.push(bytes.subarray(offset, offset + size))
  return out
}

export interface CountingSource extends AsyncIterable<Uint8Array> {
  /** Bytes handed to the reader so far. */
  readonly pulled: number
}

/** An async iterable over `parts`, then (when `endless`) the same filler piece for ever. */
export function countingSource(parts: readonly Uint8Array[], filler?: Uint8Array): CountingSource {
  let pulled = 0
  return {
    get pulled() {
      return pulled
    },
    async *[Symbol.asyncIterator]() {
      for (const part of parts) {
        pulled += part.length
        yield part
      }
      while (filler) {
        pulled += filler.length
        yield filler
      }
    },
  }
}

/** A WHATWG ReadableStream over `parts`, as @matrixai/quic's stream.readable is. */
export function readableOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  const queue = [...parts]
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift()
      if (next === undefined) controller.close()
      else controller.enqueue(next)
    },
  })
}

/** mulberry32: a small seeded generator, so a failing fuzz case can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
