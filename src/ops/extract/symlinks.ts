// The symbolic links of a tar or zip archive, one rule for both: checked by entry-rules, created
// once every other entry is written, so chains work in any order and nothing is written through them.
import fs from 'node:fs/promises'
import path from 'node:path'
import {errnoCode, ioError, type LanspreadError} from '../../errors.js'
import {unsafeEntry} from './archive-errors.js'
import {unsafeSymlinkReason} from './entry-rules.js'

/** The entry path as tar writes it: no './', no doubled or trailing slashes. */
function normalize(entryPath: string): string {
  return path.posix.normalize(entryPath).replace(/\/+$/, '')
}

export class DeferredSymlinks {
  /** Entry path → target, in archive order (a later entry for a path moves it to the end). */
  private readonly pending = new Map<string, string>()

  /** Checks a link entry (entry-rules) and records it; returns why it is refused, if it is. */
  admit(entryPath: string, target: string): string | undefined {
    const reason = unsafeSymlinkReason(entryPath, target)
    if (reason !== undefined) return reason
    // The link's folder becomes a real folder, as it would when tar or unzip wrote the link.
    this.supersede(path.posix.dirname(entryPath))
    const key = normalize(entryPath)
    this.pending.delete(key)
    this.pending.set(key, target)
    return undefined
  }

  /** True when a pending link sits at `entryPath` or at one of its folders. */
  covers(entryPath: string): boolean {
    const parts = normalize(entryPath).split('/')
    return parts.some((_, index) => this.pending.has(parts.slice(0, index + 1).join('/')))
  }

  /** A later entry replaces a pending link at its path, or at one of its folders (as tar would): call it for every entry written. */
  supersede(entryPath: string): void {
    if (this.pending.size === 0) return
    const parts = normalize(entryPath).split('/')
    for (let depth = 1; depth <= parts.length; depth++) this.pending.delete(parts.slice(0, depth).join('/'))
  }

  /** Creates the links in archive order; the first failure is returned, not thrown. */
  async create(archive: string, dest: string): Promise<LanspreadError | undefined> {
    if (this.pending.size === 0) return undefined
    const realDest = await fs.realpath(dest).catch((error: unknown) => error)
    if (typeof realDest !== 'string') return ioError('extract into', dest, realDest)
    for (const [name, target] of this.pending) {
      const failure = await createLink(archive, realDest, name, target).catch((error: unknown) => ioError('create the link', path.join(dest, name), error))
      if (failure !== undefined) return failure
    }
    return undefined
  }
}

async function createLink(archive: string, realDest: string, name: string, target: string): Promise<LanspreadError | undefined> {
  const location = path.resolve(realDest, name)
  const parent = path.dirname(location)
  await fs.mkdir(parent, {recursive: true})
  // The link's target was checked from its folder's path in the archive: that must be where it really is.
  if ((await fs.realpath(parent)) !== parent) return unsafeEntry(archive, name, 'would be created through a symbolic link')
  await removeExisting(location)
  await fs.symlink(target, location)
  return undefined
}

/** Like tar: a file or link at the path is replaced, an empty folder too, a full one is an error. */
async function removeExisting(location: string): Promise<void> {
  const stats = await fs.lstat(location).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw error
  })
  if (stats === undefined) return
  await (stats.isDirectory() ? fs.rmdir(location) : fs.unlink(location))
}
