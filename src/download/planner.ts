// What a download must fetch: every chunk of the new manifest, minus the chunks already on
// disk at the same offset with the same hash (an interrupted download, or the previous
// version of an updated game). Existing files are read one chunk at a time (bounded memory).
import {constants} from 'node:fs'
import fs from 'node:fs/promises'
import {ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {blake3} from '../library/blake3.js'
import type {GamePaths} from '../library/layout.js'
import type {GameManifest, ManifestEntry} from '../protocol/messages.js'
import {diskPathOf, hasRealParents} from './chunk-writer.js'

const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)

export interface PlannedFile {
  entry: ManifestEntry
  /** Where the bytes go (version.ini's to .version.ini.tmp). */
  diskPath: string
  /** Per chunk, the hash its bytes on disk were verified to have; filled as chunks land. */
  verified: (string | undefined)[]
}

export interface PlannedChunk {
  file: PlannedFile
  index: number
  offset: number
  length: number
  hash: string
}

export interface DownloadPlan {
  files: PlannedFile[]
  /** The chunks to fetch, in manifest order. */
  missing: PlannedChunk[]
  totalBytes: number
  reusedBytes: number
}

export function chunkLength(size: number, chunkSize: number, index: number): number {
  return Math.max(0, Math.min(chunkSize, size - index * chunkSize))
}

/** Plans a download into `game` from `manifest`, hashing what is on disk. */
export async function planDownload(game: GamePaths, manifest: GameManifest): Promise<DownloadPlan> {
  const plan: DownloadPlan = {files: [], missing: [], totalBytes: 0, reusedBytes: 0}
  const buffer = Buffer.allocUnsafe(manifest.chunk_size)
  for (const entry of manifest.files) {
    const file: PlannedFile = {entry, diskPath: diskPathOf(game, entry.path), verified: entry.chunks.map(() => undefined)}
    plan.files.push(file)
    plan.totalBytes += entry.size
    await reuseChunksOnDisk(game.root, file, manifest.chunk_size, buffer)
    for (const [index, hash] of entry.chunks.entries()) {
      const length = chunkLength(entry.size, manifest.chunk_size, index)
      if (file.verified[index] !== undefined) plan.reusedBytes += length
      else plan.missing.push({file, index, offset: index * manifest.chunk_size, length, hash})
    }
  }
  return plan
}

/** Marks the chunks of `file` whose bytes on disk already hash to the manifest's chunk hash. */
async function reuseChunksOnDisk(root: string, file: PlannedFile, chunkSize: number, buffer: Buffer): Promise<void> {
  const {entry, diskPath} = file
  if (entry.size === 0) {
    // Nothing to fetch: prepareFile creates it, and the manifest check proved its hash is of no bytes.
    file.verified[0] = entry.chunks[0]
    return
  }
  const stat = await lstatOrNull(diskPath)
  if (!stat?.isFile() || stat.size === 0 || !(await hasRealParents(root, entry.path))) return
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(diskPath, READ_FLAGS)
    for (const [index, expected] of entry.chunks.entries()) {
      const offset = index * chunkSize
      const length = chunkLength(entry.size, chunkSize, index)
      if (offset + length > stat.size) return
      const bytes = await readExactly(handle, buffer, length, offset)
      if (bytes && blake3(bytes).toString('hex') === expected) file.verified[index] = expected
    }
  } catch (error) {
    throw ioError('read', diskPath, error)
  } finally {
    await handle?.close()
  }
}

/** The `length` bytes at `position`, or undefined when the file ends sooner (it shrank). */
async function readExactly(handle: fs.FileHandle, buffer: Buffer, length: number, position: number): Promise<Buffer | undefined> {
  let filled = 0
  while (filled < length) {
    const {bytesRead} = await handle.read(buffer, filled, length - filled, position + filled)
    if (bytesRead === 0) return undefined
    filled += bytesRead
  }
  return buffer.subarray(0, length)
}
