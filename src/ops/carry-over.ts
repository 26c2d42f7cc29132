// During an update, brings what the user made in the previous install (.local.backup/) into
// the new one (.local.installing/): by hard link, so the backup still holds every file until
// the new local/ is in place, and a crash rolled back never loses one (IMPL_DECISIONS.md).
import type {Stats} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import type {GamePaths} from '../library/layout.js'
import {type InstallRecord, readRecord, walkTree} from './install-record.js'

/**
 * Which rule chose the kept files: `record` (the previous install's record: what it did not
 * extract or what changed since), `no_record` (none: what the new archives do not have), or
 * `clean` (nothing kept).
 */
export type KeptRule = 'record' | 'no_record' | 'clean'

export interface CarryResult {
  rule: KeptRule
  /** Relative POSIX paths of what was kept, in walk order; folders end with "/". */
  kept: string[]
  /** Paths where a kept file or link took the place of one the new archives extracted. */
  replaced: Set<string>
}

export interface CarryOptions {
  /** Makes a hard link (replaced in tests, to exercise the copy for file systems without them). */
  link?: (from: string, to: string) => Promise<void>
}

/** A file system that cannot hard-link this file: copy it instead. */
const NO_HARD_LINK = new Set(['EPERM', 'EXDEV', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

export const NOTHING_CARRIED: Readonly<CarryResult> = {rule: 'clean', kept: [], replaced: new Set<string>()}

export async function carryOver(game: GamePaths, options: CarryOptions = {}): Promise<CarryResult> {
  const record = await readRecord(game.backup)
  const fromArchives = record ? extractedBy(record) : presentIn(game.installing)
  const placer = new Placer(game, options.link ?? fs.link, updateClash(game.id))
  const kept: string[] = []
  await walkTree(game.backup, async (relative, stats, full) => {
    if (await fromArchives(relative, stats, full)) return
    await placer.place(relative, stats, full)
    kept.push(stats.isDirectory() ? `${relative}/` : relative)
  })
  return {rule: record ? 'record' : 'no_record', kept, replaced: placer.replaced}
}

/**
 * At an install: brings back everything uninstall set aside in .lanspread-kept/ (the user's
 * copy wins over the archives' copy of a file, as in an update), by hard link: the kept
 * folder stays whole until the new local/ is in place.
 */
export async function bringBackKept(game: GamePaths, options: CarryOptions = {}): Promise<CarryResult> {
  if (!(await lstatOrNull(game.kept))?.isDirectory()) return NOTHING_CARRIED
  const placer = new Placer(game, options.link ?? fs.link, keptClash(game.id))
  const kept: string[] = []
  await walkTree(game.kept, async (relative, stats, full) => {
    await placer.place(relative, stats, full)
    kept.push(stats.isDirectory() ? `${relative}/` : relative)
  })
  return {rule: 'record', kept, replaced: placer.replaced}
}

function parentOf(relative: string): string {
  const parent = path.posix.dirname(relative)
  return parent === '.' ? '' : parent
}

type FromArchives = (relative: string, stats: Stats, full: string) => Promise<boolean>

/** With a record: an entry is the previous archives' when it is listed and unchanged. */
export function extractedBy(record: InstallRecord): FromArchives {
  const files = new Map(record.files.map((f) => [f.path, f]))
  const links = new Map(record.links.map((l) => [l.path, l.target]))
  const dirs = new Set(record.dirs)
  return async (relative, stats, full) => {
    if (stats.isDirectory()) return dirs.has(relative)
    if (stats.isSymbolicLink()) return links.get(relative) === (await fs.readlink(full))
    const file = files.get(relative)
    return stats.isFile() && file !== undefined && file.size === stats.size && file.mtime_ms === stats.mtimeMs
  }
}

/** Without a record there is no telling: whatever the new archives also have is theirs. */
function presentIn(staging: string): FromArchives {
  return async (relative, stats) => {
    const there = await lstatOrNull(path.join(staging, relative))
    if (!there) return false
    // The user's folder where the archives now have a file is kept, and clashes.
    return !stats.isDirectory() || there.isDirectory()
  }
}

/** Puts kept entries into the staging folder, creating their parent folders as needed. */
class Placer {
  readonly replaced = new Set<string>()
  private readonly folders = new Set<string>([''])

  constructor(
    private readonly game: GamePaths,
    private readonly link: (from: string, to: string) => Promise<void>,
    private readonly clashError: ClashError,
  ) {}

  async place(relative: string, stats: Stats, full: string): Promise<void> {
    await this.ensureFolder(parentOf(relative), relative)
    const target = path.join(this.game.installing, relative)
    const existing = await lstatOrNull(target)
    if (stats.isDirectory()) {
      if (existing && !existing.isDirectory()) throw this.clash(relative, relative, 'a file')
      // Writable by us whatever the user's mode, so what it holds can be placed in it.
      if (!existing) await this.step('create', target, () => fs.mkdir(target, {mode: (stats.mode & 0o7777) | 0o700}))
      this.folders.add(relative)
      return
    }
    if (existing?.isDirectory()) throw this.clash(relative, relative, 'a folder')
    if (existing) {
      await this.step('remove', target, () => fs.rm(target, {force: true}))
      this.replaced.add(relative)
    }
    if (stats.isSymbolicLink()) {
      const linkTarget = await this.step('read the link', full, () => fs.readlink(full))
      await this.step('create the link', target, () => fs.symlink(linkTarget, target))
      return
    }
    await this.linkOrCopy(full, target, stats)
  }

  /** Every folder on the way must be a real folder: a file or a link there is a clash. */
  private async ensureFolder(folder: string, forPath: string): Promise<void> {
    if (this.folders.has(folder)) return
    await this.ensureFolder(parentOf(folder), forPath)
    const target = path.join(this.game.installing, folder)
    const existing = await lstatOrNull(target)
    if (existing && !existing.isDirectory()) throw this.clash(forPath, folder, existing.isSymbolicLink() ? 'a symbolic link' : 'a file')
    if (!existing) await this.step('create', target, () => fs.mkdir(target))
    this.folders.add(folder)
  }

  private async linkOrCopy(from: string, to: string, stats: Stats): Promise<void> {
    try {
      await this.link(from, to)
      return
    } catch (error) {
      if (!NO_HARD_LINK.has(errnoCode(error) ?? '') || !stats.isFile()) throw ioError(`keep ${from} as`, to, error)
    }
    await this.step('copy to', to, async () => {
      // A clone where the file system has them; a plain copy elsewhere. Keeps the user's mtime.
      await fs.copyFile(from, to, fs.constants.COPYFILE_FICLONE)
      await fs.utimes(to, stats.atime, stats.mtime)
    })
  }

  private async step<T>(action: string, file: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw ioError(action, file, error)
    }
  }

  private clash(kept: string, where: string, what: string): LanspreadError {
    return this.clashError(kept, where, what)
  }
}

/** A kept entry that cannot go where the archives put another kind of entry. */
type ClashError = (kept: string, where: string, what: string) => LanspreadError

function updateClash(id: string): ClashError {
  return (kept, where, what) =>
    new LanspreadError(
      'invalid_input',
      `game ${id}: cannot keep local/${kept} (yours, from the previous install): the new archives have ${what} at local/${where}`,
      {
        hint: `move local/${kept} out of local/ and run \`lanspread install ${id} --update\` again, or replace everything with \`lanspread install ${id} --update --clean\``,
      },
    )
}

function keptClash(id: string): ClashError {
  return (kept, where, what) =>
    new LanspreadError(
      'invalid_input',
      `game ${id}: cannot bring back .lanspread-kept/${kept} (yours, kept at uninstall): the archives have ${what} at local/${where}`,
      {
        hint: `move .lanspread-kept/${kept} out of the game folder, then run \`lanspread install ${id}\` again`,
      },
    )
}
