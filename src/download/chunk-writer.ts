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

// O_NOFOLLOW: a link put at the path after it was checked fails the open instead of being written through.
const WRITE_FLAGS = constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0)
const CREATE_FLAGS = WRITE_FLAGS | constants.O_CREAT

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

/**
 * Positioned writes with one open handle per file for the whole download (an open and a
 * close per 4 MiB chunk cost ~10% of the downloader's loop); a file's handle is closed once
 * its last chunk is written, and every handle by `closeAll`.
 */
export class ChunkFiles {
  private readonly handles = new Map<string, Promise<fs.FileHandle>>()

  async write(file: string, offset: number, bytes: Uint8Array): Promise<void> {
    try {
      const handle = await this.open(file)
      let written = 0
      while (written < bytes.length) {
        const {bytesWritten} = await handle.write(bytes, written, bytes.length - written, offset + written)
        written += bytesWritten
      }
    } catch (error) {
      throw ioError('write', file, error)
    }
  }

  async close(file: string): Promise<void> {
    const opening = this.handles.get(file)
    if (!opening) return
    this.handles.delete(file)
    const handle = await opening.catch(() => undefined)
    await handle?.close().catch((error: unknown) => {
      throw ioError('write', file, error)
    })
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.handles.keys()].map((file) => this.close(file)))
  }

  private open(file: string): Promise<fs.FileHandle> {
    let opening = this.handles.get(file)
    if (!opening) {
      opening = fs.open(file, WRITE_FLAGS)
      // A failed open is reported by write(); the next write of that file tries again.
      opening.catch(() => this.handles.delete(file))
      this.handles.set(file, opening)
    }
    return opening
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
