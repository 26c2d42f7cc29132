// The install record `local/.lanspread_install.json`: every file, link and folder an install
// extracted, with sizes and mtimes, so the next update can tell them from what the user made.
import type {Stats} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import {ioError} from '../errors.js'
import {readJsonFile} from '../fs/read-json.js'
import {lstatOrNull} from '../fs/stat.js'
import {OWNED_MARKER} from '../library/layout.js'

/** Lives in local/ itself, so it is published by the same rename as the files it lists. */
export const INSTALL_RECORD = '.lanspread_install.json'

export const InstallRecordSchema = z.object({
  format: z.literal(1),
  files: z.array(z.object({path: z.string(), size: z.number(), mtime_ms: z.number()})),
  links: z.array(z.object({path: z.string(), target: z.string()})),
  dirs: z.array(z.string()),
  /** The root-level archives the install was made from (absent in records of older installs). */
  archives: z.array(z.object({name: z.string(), size: z.number(), mtime_ms: z.number()})).optional(),
})
export type InstallRecord = z.infer<typeof InstallRecordSchema>

/** lanspread's own files at the top of an install: never listed, never carried over. */
export function isOwnFile(relative: string): boolean {
  return relative === OWNED_MARKER || relative === INSTALL_RECORD
}

/** What `dir` holds right now (relative POSIX paths), except lanspread's own files. */
export async function recordTree(dir: string): Promise<InstallRecord> {
  const record: InstallRecord = {format: 1, files: [], links: [], dirs: []}
  await walkTree(dir, async (relative, stats, full) => {
    if (stats.isDirectory()) record.dirs.push(relative)
    else if (stats.isSymbolicLink()) record.links.push({path: relative, target: await readLink(full)})
    else if (stats.isFile()) record.files.push({path: relative, size: stats.size, mtime_ms: stats.mtimeMs})
  })
  return record
}

/** The record without the paths in `replaced` (files of the archive that a kept file took over). */
export function withoutPaths(record: InstallRecord, replaced: ReadonlySet<string>): InstallRecord {
  return {
    ...record,
    files: record.files.filter((f) => !replaced.has(f.path)),
    links: record.links.filter((l) => !replaced.has(l.path)),
  }
}

/** Writes the record into an install folder (fsynced by the caller's fsync of the whole tree). */
export async function writeRecord(dir: string, record: InstallRecord): Promise<void> {
  const file = path.join(dir, INSTALL_RECORD)
  try {
    // An archive entry of that name is not ours to keep: the record must be lanspread's.
    await fs.rm(file, {recursive: true, force: true})
    await fs.writeFile(file, JSON.stringify(record) + '\n', {flag: 'wx'})
  } catch (error) {
    throw ioError('write the install record', file, error)
  }
}

/** The record of an install, or undefined when it has none (an older lanspread) or it is damaged. */
export async function readRecord(dir: string): Promise<InstallRecord | undefined> {
  const file = path.join(dir, INSTALL_RECORD)
  // A link or folder in its place is not a record lanspread wrote.
  if (!(await lstatOrNull(file))?.isFile()) return undefined
  const result = await readJsonFile(file, InstallRecordSchema)
  return result.status === 'ok' ? result.value : undefined
}

export type Visit = (relative: string, stats: Stats, full: string) => Promise<void | 'skip'>

/** Pre-order walk (parents first, names sorted), without following links; 'skip' prunes a folder. */
export async function walkTree(root: string, visit: Visit, prefix = ''): Promise<void> {
  const dir = prefix ? path.join(root, prefix) : root
  const names = await fs.readdir(dir).catch((error: unknown) => {
    throw ioError('list', dir, error)
  })
  for (const name of names.sort()) {
    const relative = prefix ? `${prefix}/${name}` : name
    if (isOwnFile(relative)) continue
    const full = path.join(root, relative)
    const stats = await fs.lstat(full).catch((error: unknown) => {
      throw ioError('inspect', full, error)
    })
    const answer = await visit(relative, stats, full)
    if (stats.isDirectory() && answer !== 'skip') await walkTree(root, visit, relative)
  }
}

async function readLink(file: string): Promise<string> {
  try {
    return await fs.readlink(file)
  } catch (error) {
    throw ioError('read the link', file, error)
  }
}
