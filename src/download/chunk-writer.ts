// Where a downloaded file's bytes go and how: positioned writes into the file's final path
// (version.ini's into .version.ini.tmp), never through a symbolic link, with every folder on
// the way a real folder of the game root. The sentinel is gone first, so writing in place is safe.
import {constants} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {errnoCode, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import {type GamePaths, SENTINEL} from '../library/layout.js'
import {DIRECT_IO_ALIGNMENT, isPageAligned} from '../util/aligned-memory.js'

// O_NOFOLLOW: a link put at the path after it was checked fails the open instead of being written through.
const WRITE_FLAGS = constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0)
const CREATE_FLAGS = WRITE_FLAGS | constants.O_CREAT
/** Undefined where the platform has no O_DIRECT (macOS, Windows): every write goes through the page cache. */
const DIRECT_FLAGS = constants.O_DIRECT === undefined ? undefined : WRITE_FLAGS | constants.O_DIRECT

/** Direct writes are on unless LANSPREAD_DIRECT_IO=0 (to compare, or for a filesystem that misbehaves with them). */
export function directWritesAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LANSPREAD_DIRECT_IO?.trim() !== '0'
}

/** The file on disk that receives a manifest path's bytes: the sentinel's go to its temp file. */
export function diskPathOf(game: GamePaths, manifestPath: string): string {
  return manifestPath === SENTINEL ? game.sentinelTmp : path.join(game.root, ...manifestPath.split('/'))
}

/** True when every folder between the root and `manifestPath` is a real folder (no link, no file). */
export async function hasRealParents(root: string, manifestPath: string): Promise<boolean> {
  const segments = manifestPath.split('/').slice(0, -1)
  let dir = root
  for (const segment of segments) {
    dir = path.join(dir, segment)
    if (!(await lstatOrNull(dir))?.isDirectory()) return false
  }
  return true
}

/**
 * Makes `file` a regular file of `size` bytes, keeping the bytes it has: folders on the way
 * are created, and whatever stands in the way (a link, a file where a folder goes, a folder
 * where the file goes) is removed. A longer file is truncated, a shorter one extended.
 */
export async function prepareFile(root: string, file: string, size: number): Promise<void> {
  await makeRealParents(root, path.dirname(file))
  const stat = await lstatOrNull(file)
  if (stat && !stat.isFile()) await remove(file)
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(file, CREATE_FLAGS, 0o644)
    if ((await handle.stat()).size !== size) await handle.truncate(size)
  } catch (error) {
    throw ioError('write', file, error)
  } finally {
    await handle?.close()
  }
}

/** A file's handles: the page-cache one always, the O_DIRECT one once a page-aligned chunk comes (undefined when refused). */
interface FileHandles {
  buffered: Promise<fs.FileHandle>
  direct?: Promise<DirectHandle | undefined>
}

/** What a direct write needs of a FileHandle. */
export interface DirectHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{bytesWritten: number}>
  close(): Promise<void>
}

/**
 * Positioned writes with one open handle per file for the whole download (an open and a
 * close per 4 MiB chunk cost ~10% of the downloader's loop); a file's handle is closed once
 * its last chunk is written, and every handle by `closeAll`.
 *
 * With `direct` (the downloader's default, `directWritesAllowed`), a chunk in page-aligned memory at an aligned offset and of an
 * aligned length (every chunk of the pooled bulk buffers but a file's tail) goes through a
 * second handle opened O_DIRECT: no copy into the page cache, which on this project's VM cost
 * the downloader more CPU than TLS and BLAKE3 together. A filesystem that refuses O_DIRECT
 * (EINVAL on open or on a write) gets that file's writes through the page cache instead. The
 * fsync after the last chunk is unchanged: it also makes the file's new blocks durable.
 */
export class ChunkFiles {
  private readonly handles = new Map<string, FileHandles>()

  /**
   * @param options.direct O_DIRECT writes for page-aligned chunks
   * @param options.openDirect opens a file O_DIRECT, undefined when refused (tests inject failures)
   */
  constructor(private readonly options: {direct?: boolean; openDirect?: (file: string) => Promise<DirectHandle | undefined>} = {}) {}

  async write(file: string, offset: number, bytes: Uint8Array): Promise<void> {
    try {
      let written = await this.writeDirect(file, offset, bytes)
      if (written === bytes.length) return
      const handle = await this.open(file).buffered
      while (written < bytes.length) {
        const {bytesWritten} = await handle.write(bytes, written, bytes.length - written, offset + written)
        written += bytesWritten
      }
    } catch (error) {
      throw ioError('write', file, error)
    }
  }

  async close(file: string): Promise<void> {
    const handles = this.handles.get(file)
    if (!handles) return
    this.handles.delete(file)
    const opened = await Promise.all([handles.buffered.catch(() => undefined), handles.direct?.catch(() => undefined)])
    for (const handle of opened) {
      await handle?.close().catch((error: unknown) => {
        throw ioError('write', file, error)
      })
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.handles.keys()].map((file) => this.close(file)))
  }

  /** How many bytes went out with O_DIRECT (0 when the chunk or the file cannot take it); the rest goes through the page cache. */
  private async writeDirect(file: string, offset: number, bytes: Uint8Array): Promise<number> {
    if (!this.options.direct || offset % DIRECT_IO_ALIGNMENT !== 0 || !isPageAligned(bytes)) return 0
    const handles = this.open(file)
    if (!handles.direct) {
      const opening = (this.options.openDirect ?? openDirect)(file)
      // As for the page-cache handle: the error goes to this write, the next one opens again.
      opening.catch(() => {
        if (handles.direct === opening) handles.direct = undefined
      })
      handles.direct = opening
    }
    const handle = await handles.direct
    if (!handle) return 0
    let written = 0
    try {
      // A short write (a full disk) leaves an unaligned rest: the page cache takes it, and reports the error.
      while (written < bytes.length && written % DIRECT_IO_ALIGNMENT === 0) {
        const {bytesWritten} = await handle.write(bytes, written, bytes.length - written, offset + written)
        if (bytesWritten === 0) break
        written += bytesWritten
      }
    } catch (error) {
      if (errnoCode(error) !== 'EINVAL') throw error
      handles.direct = Promise.resolve(undefined)
      void handle.close().catch(() => undefined)
    }
    return written
  }

  private open(file: string): FileHandles {
    let handles = this.handles.get(file)
    if (!handles) {
      const buffered = fs.open(file, WRITE_FLAGS)
      // A failed open is reported by write(); the next write of that file tries again.
      buffered.catch(() => this.handles.delete(file))
      handles = {buffered}
      this.handles.set(file, handles)
    }
    return handles
  }
}

/** The file opened O_DIRECT, or undefined when this platform or filesystem has no direct I/O (EINVAL). */
export async function openDirect(file: string): Promise<DirectHandle | undefined> {
  if (DIRECT_FLAGS === undefined) return undefined
  try {
    return await fs.open(file, DIRECT_FLAGS)
  } catch (error) {
    if (errnoCode(error) === 'EINVAL') return undefined
    throw error
  }
}

export async function syncFile(file: string): Promise<void> {
  await fsyncPath(file).catch((error: unknown) => {
    throw ioError('write', file, error)
  })
}

async function makeRealParents(root: string, dir: string): Promise<void> {
  const relative = path.relative(root, dir)
  if (relative === '') return
  let current = root
  for (const segment of relative.split(path.sep)) {
    current = path.join(current, segment)
    const stat = await lstatOrNull(current)
    if (stat?.isDirectory()) continue
    if (stat) await remove(current)
    await fs.mkdir(current).catch((error: unknown) => {
      if (errnoCode(error) !== 'EEXIST') throw ioError('create', current, error)
    })
  }
}

async function remove(target: string): Promise<void> {
  await fs.rm(target, {recursive: true, force: true}).catch((error: unknown) => {
    throw ioError('remove', target, error)
  })
}
