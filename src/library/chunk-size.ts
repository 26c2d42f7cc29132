// The chunk size of a game's manifest (SPEC §2.2: "fixed-size chunks"), a function of the game's
// total size only, so every peer that reads the same files computes the same manifest_hash.
// Smaller games get smaller chunks: a swarm passes a chunk on only once it is verified whole, so
// the first chunks take longer to land and the last ones longer to spread the bigger a chunk is
// (record 0037 measures it). Larger games grow the chunk, not the count, so a manifest — one
// GameManifest frame of 32-byte hashes — stays small: a game's bytes make at most TARGET_CHUNKS
// chunks up to MAX_CHUNK_SIZE × TARGET_CHUNKS bytes (16 GiB), plus one short chunk per file.
import {MAX_CHUNK_SIZE, MIN_CHUNK_SIZE} from '../config.js'

/** The chunk count a game's chunk size aims at: a swarm's pipeline is fine-grained below it. */
export const TARGET_CHUNKS = 4096

/** The smallest power-of-two size in [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE] of which `totalBytes` holds at most TARGET_CHUNKS. */
export function chunkSizeFor(totalBytes: number): number {
  let size = MIN_CHUNK_SIZE
  while (size < MAX_CHUNK_SIZE && totalBytes > size * TARGET_CHUNKS) size *= 2
  return size
}
