// A manifest from a peer is untrusted: before anything is planned from it, its manifest_hash
// must match its paths and sizes (and the summary the peer announced), each file hash its
// chunk hashes, and the game must have a sentinel to write last.
import {blake3Hex} from '../library/blake3.js'
import {chunkCount, fileHashOf} from '../library/content-hashes.js'
import {type GameId, SENTINEL} from '../library/layout.js'
import {manifestHash} from '../library/manifest.js'
import {MAX_CHUNK_BYTES} from '../protocol/limits.js'
import type {GameManifest} from '../protocol/messages.js'

/** BLAKE3 of no bytes: the one chunk hash of an empty file. */
export const EMPTY_CHUNK_HASH = blake3Hex(new Uint8Array(0))

/** Why a manifest cannot be downloaded from, or undefined when it checks out. */
export function manifestProblem(id: GameId, manifest: GameManifest, announcedHash: string): string | undefined {
  if (manifest.id !== id) return `answered with the manifest of game ${manifest.id}`
  const computed = manifestHash({chunk_size: manifest.chunk_size, files: manifest.files.map((f) => ({path: f.path, size: f.size, mtime_ms: 0}))})
  if (computed !== manifest.manifest_hash) return 'sent a manifest whose manifest_hash does not match its files'
  if (manifest.manifest_hash !== announcedHash) return 'sent a manifest other than the one its library announces'
  if (!manifest.files.some((file) => file.path === SENTINEL)) return `sent a manifest without ${SENTINEL}`
  if (manifest.chunk_size < 1 || manifest.chunk_size > MAX_CHUNK_BYTES) return `sent a chunk size of ${manifest.chunk_size} bytes`
  for (const file of manifest.files) {
    if (file.chunks.length !== chunkCount(file.size, manifest.chunk_size))
      return `sent ${file.chunks.length} chunk hashes for ${file.path} of ${file.size} bytes`
    if (fileHashOf(file.chunks) !== file.hash) return `sent a manifest whose hash of ${file.path} does not match its chunk hashes`
    if (file.size === 0 && file.chunks[0] !== EMPTY_CHUNK_HASH) return `sent a manifest whose empty file ${file.path} has a chunk hash of some bytes`
  }
  return undefined
}
