// Per-chunk BLAKE3 of a game's payload and the file hash over those chunk hashes, computed
// only when first needed (a peer asks for the manifest, a download verifies) and cached by
// path + size + mtime, so each version of a file is read and hashed once.
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, ioError, isLanspreadError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {blake3, currentBlake3} from './blake3.js'
import type {Manifest, ManifestFile} from './manifest.js'
import type {FileHashes} from './schemas.js'

/** The current way `hash` is derived from the chunk hashes (see fileHashOf). */
export const FILE_HASH_FORM = 2
const FILE_HASH_PREFIX = Buffer.from('lanspread-file-v2\n', 'utf8')
const EMPTY = Buffer.alloc(0)
// Where the platform has it, a game file replaced by a symlink between the lstat and the open
// fails the open instead of hashing whatever the link points to.
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0)

export type {FileHashes} from './schemas.js'
export type ContentHashCache = Record<string, FileHashes>

export interface ContentHashResult {
  hashes: ContentHashCache
  /** Paths whose bytes were read this time (the rest came from the cache). */
  hashed: string[]
}

/** How many chunks a file of `size` bytes has: at least one, so an empty file has a chunk hash. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize))
}

/** The file hash: BLAKE3 of "lanspread-file-v2\n" followed by each chunk's raw 32-byte hash, in order. */
export function fileHashOf(chunkHashesHex: readonly string[]): string {
  return fileHashOfRaw(chunkHashesHex.map((hex) => Buffer.from(hex, 'hex')))
}

/** How content_hash (SPEC §4.3) is derived; a peer must compute it the same way. */
const CONTENT_HASH_PREFIX = Buffer.from('lanspread-content-v1\n', 'utf8')

/**
 * A game's content_hash: BLAKE3 of "lanspread-content-v1\n", the raw 32-byte manifest_hash,
 * the chunk size as 8 bytes big-endian, then each file's raw 32-byte hash in manifest order.
 * The file hashes alone would not see a rename (same bytes, other paths) nor a new chunk
 * size, and a caller answered NotModified must really hold this very manifest.
 */
export function contentHashOf(manifestHashHex: string, chunkSize: number, fileHashesHex: readonly string[]): string {
  const size = Buffer.alloc(8)
  size.writeBigUInt64BE(BigInt(chunkSize))
  const files = fileHashesHex.map((hex) => Buffer.from(hex, 'hex'))
  return blake3(Buffer.concat([CONTENT_HASH_PREFIX, Buffer.from(manifestHashHex, 'hex'), size, ...files])).toString('hex')
}

function fileHashOfRaw(chunkHashes: readonly Buffer[]): string {
  return blake3(Buffer.concat([FILE_HASH_PREFIX, ...chunkHashes])).toString('hex')
}

function isCurrent(cached: FileHashes | undefined, file: ManifestFile, chunkSize: number): cached is FileHashes {
  return (
    cached !== undefined &&
    cached.hash_form === FILE_HASH_FORM &&
    cached.size === file.size &&
    cached.mtime_ms === file.mtime_ms &&
    cached.chunk_size === chunkSize &&
    cached.chunks.length === chunkCount(file.size, chunkSize)
  )
}

/**
 * Returns the content hashes of every file of `manifest`, reusing `cache` entries whose
 * form, size and mtime still match. The manifest must be fresh: a file whose size or mtime
 * on disk differs from its manifest entry is reported as `integrity` (rescan, then retry).
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

/** Reads one file once, a whole chunk per read, and hashes each byte once (its chunk). */
export async function hashFile(file: string, expected: ManifestFile, chunkSize: number): Promise<FileHashes> {
  await assertUnchanged(file, expected)
  const chunks = await hashChunks(file, expected.size, chunkSize)
  // A write during hashing would make these hashes describe bytes that no longer exist.
  await assertUnchanged(file, expected)
  return {
    size: expected.size,
    mtime_ms: expected.mtime_ms,
    chunk_size: chunkSize,
    hash_form: FILE_HASH_FORM,
    hash: fileHashOfRaw(chunks),
    chunks: chunks.map((chunk) => chunk.toString('hex')),
  }
}

/**
 * Raw chunk hashes of the first `size` bytes. Each chunk is one positioned read into one of
 * two buffers, and the next chunk is read while this one is hashed, so disk and CPU overlap.
 */
async function hashChunks(file: string, size: number, chunkSize: number): Promise<Buffer[]> {
  const backend = currentBlake3() // resolved once: it cannot throw mid-read
  if (size === 0) return [backend.hash(EMPTY)]
  const buffers = [Buffer.allocUnsafe(Math.min(chunkSize, size))]
  if (size > chunkSize) buffers.push(Buffer.allocUnsafe(chunkSize))
  const chunks: Buffer[] = []
  let handle: fs.FileHandle | undefined
  let inFlight: Promise<Buffer> | undefined
  try {
    const opened = (handle = await fs.open(file, OPEN_FLAGS))
    const read = (index: number): Promise<Buffer> =>
      (inFlight = readFully(opened, buffers[index % buffers.length]!, Math.min(chunkSize, size - index * chunkSize), index * chunkSize, file))
    let next = read(0)
    for (let index = 0; ; index++) {
      const current = await next
      const more = (index + 1) * chunkSize < size
      if (more) next = read(index + 1)
      else inFlight = undefined
      chunks.push(backend.hash(current))
      if (!more) return chunks
    }
  } catch (error) {
    await inFlight?.catch(() => undefined) // never close the handle under a read in flight
    if (isLanspreadError(error)) throw error
    throw ioError('read', file, error)
  } finally {
    await handle?.close()
  }
}

/** Fills `buffer[0, length)` from `position`; returns that part of the buffer. */
async function readFully(handle: fs.FileHandle, buffer: Buffer, length: number, position: number, file: string): Promise<Buffer> {
  let filled = 0
  while (filled < length) {
    const {bytesRead} = await handle.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) throw changedWhileRead(file) // it shrank under us
    filled += bytesRead
  }
  return buffer.subarray(0, length)
}

async function assertUnchanged(file: string, expected: ManifestFile): Promise<void> {
  const stat = await lstatOrNull(file)
  if (stat?.isFile() && stat.size === expected.size && stat.mtimeMs === expected.mtime_ms) return
  throw changedWhileRead(file)
}

function changedWhileRead(file: string): LanspreadError {
  return new LanspreadError('integrity', `${file} changed while lanspread was reading it`, {
    hint: 'wait until nothing writes to the game folder, then run `lanspread scan` and try again',
  })
}
