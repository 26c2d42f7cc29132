// Per-file and per-chunk BLAKE3 of a game's payload, computed only when first needed (a
// peer asks for the manifest, a download verifies) and cached by path + size + mtime, so
// each version of a file is hashed at most once.
import {createReadStream} from 'node:fs'
import path from 'node:path'
import {z} from 'zod'
import {LanspreadError, ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {type Blake3Hasher, createBlake3} from './blake3.js'
import type {Manifest, ManifestFile} from './manifest.js'

export const FileHashesSchema = z.object({
  size: z.number().int().nonnegative(),
  mtime_ms: z.number(),
  chunk_size: z.number().int().positive(),
  /** BLAKE3 of the whole file, hex. */
  hash: z.string(),
  /** BLAKE3 of each chunk, hex, in file order. */
  chunks: z.array(z.string()),
})

export type FileHashes = z.infer<typeof FileHashesSchema>
export type ContentHashCache = Record<string, FileHashes>

export interface ContentHashResult {
  hashes: ContentHashCache
  /** Paths whose bytes were read this time (the rest came from the cache). */
  hashed: string[]
}

function isCurrent(cached: FileHashes | undefined, file: ManifestFile, chunkSize: number): cached is FileHashes {
  return cached !== undefined && cached.size === file.size && cached.mtime_ms === file.mtime_ms && cached.chunk_size === chunkSize
}

/**
 * Returns the content hashes of every file of `manifest`, reusing `cache` entries whose
 * size and mtime still match. The manifest must be fresh: a file whose size or mtime on
 * disk differs from its manifest entry is reported as `integrity` (rescan, then retry).
 */
export async function computeContentHashes(root: string, manifest: Manifest, cache: ContentHashCache): Promise<ContentHashResult> {
  const hashes: ContentHashCache = {}
  const hashed: string[] = []
  for (const file of manifest.files) {
    const cached = cache[file.path]
    if (isCurrent(cached, file, manifest.chunk_size)) {
      hashes[file.path] = cached
      continue
    }
    hashes[file.path] = await hashFile(path.join(root, file.path), file, manifest.chunk_size)
    hashed.push(file.path)
  }
  return {hashes, hashed}
}

/** Streams one file once, feeding the whole-file hasher and one hasher per chunk. */
export async function hashFile(file: string, expected: ManifestFile, chunkSize: number): Promise<FileHashes> {
  await assertUnchanged(file, expected)
  const whole = createBlake3()
  const chunks: string[] = []
  let chunk: Blake3Hasher = createBlake3()
  let inChunk = 0
  try {
    for await (const piece of createReadStream(file, {highWaterMark: 1024 * 1024}) as AsyncIterable<Buffer>) {
      whole.update(piece)
      let offset = 0
      while (offset < piece.length) {
        const take = Math.min(chunkSize - inChunk, piece.length - offset)
        chunk.update(piece.subarray(offset, offset + take))
        inChunk += take
        offset += take
        if (inChunk === chunkSize) {
          chunks.push(chunk.digest('hex'))
          chunk = createBlake3()
          inChunk = 0
        }
      }
    }
  } catch (error) {
    throw ioError('read', file, error)
  }
  if (inChunk > 0 || chunks.length === 0) chunks.push(chunk.digest('hex'))
  // A write during hashing would make these hashes describe bytes that no longer exist.
  await assertUnchanged(file, expected)
  return {size: expected.size, mtime_ms: expected.mtime_ms, chunk_size: chunkSize, hash: whole.digest('hex'), chunks}
}

async function assertUnchanged(file: string, expected: ManifestFile): Promise<void> {
  const stat = await lstatOrNull(file)
  if (stat?.isFile() && stat.size === expected.size && stat.mtimeMs === expected.mtime_ms) return
  throw new LanspreadError('integrity', `${file} changed while lanspread was reading it`, {
    hint: 'wait until nothing writes to the game folder, then run `lanspread scan` and try again',
  })
}
