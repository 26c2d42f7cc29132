// The cheap, non-recursive fingerprint of a game root (SPEC §2.2): root-level *.eti names,
// sizes and mtimes, version.ini's size and mtime, and whether local/ is a directory.
// An unchanged fingerprint lets a scan reuse the cached manifest without recursing.
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import {ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {type GamePaths, isArchiveName} from './layout.js'

const FileStampSchema = z.object({size: z.number().int().nonnegative(), mtime_ms: z.number()})

export const FingerprintSchema = z.object({
  archives: z.array(FileStampSchema.extend({name: z.string()})),
  sentinel: FileStampSchema.nullable(),
  local_dir: z.boolean(),
})

export type Fingerprint = z.infer<typeof FingerprintSchema>

export async function readFingerprint(game: GamePaths): Promise<Fingerprint> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await fs.readdir(game.root, {withFileTypes: true})
  } catch (error) {
    throw ioError('list', game.root, error)
  }
  const archiveNames = entries
    .filter((entry) => entry.isFile() && isArchiveName(entry.name))
    .map((entry) => entry.name)
    .sort(compareCodeUnits)
  const [archiveStats, sentinel, local] = await Promise.all([
    Promise.all(archiveNames.map((name) => lstatOrNull(path.join(game.root, name)))),
    lstatOrNull(game.sentinel),
    lstatOrNull(game.local),
  ])
  const archives: Fingerprint['archives'] = []
  archiveStats.forEach((stat, i) => {
    // A file that vanished between readdir and lstat is simply not there any more.
    if (stat?.isFile()) archives.push({name: archiveNames[i]!, size: stat.size, mtime_ms: stat.mtimeMs})
  })
  return {
    archives,
    sentinel: sentinel?.isFile() ? {size: sentinel.size, mtime_ms: sentinel.mtimeMs} : null,
    local_dir: local?.isDirectory() ?? false,
  }
}

export function fingerprintsEqual(a: Fingerprint, b: Fingerprint): boolean {
  if (a.local_dir !== b.local_dir) return false
  if (!stampsEqual(a.sentinel, b.sentinel)) return false
  if (a.archives.length !== b.archives.length) return false
  return a.archives.every((archive, i) => {
    const other = b.archives[i]!
    return archive.name === other.name && stampsEqual(archive, other)
  })
}

function stampsEqual(a: z.infer<typeof FileStampSchema> | null, b: z.infer<typeof FileStampSchema> | null): boolean {
  if (a === null || b === null) return a === b
  return a.size === b.size && a.mtime_ms === b.mtime_ms
}

/** Sorts by UTF-16 code unit, the same on every machine and locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
