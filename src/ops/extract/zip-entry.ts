// One zip entry: decide what it is (folder, file, symbolic link, or something refused), then
// stream it to disk checking its CRC-32, which yauzl leaves to its caller. Links are deferred.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import zlib from 'node:zlib'
import yauzl, {type Entry, type ZipFile} from 'yauzl'
import {ioError, isLanspreadError, LanspreadError} from '../../errors.js'
import {corruptArchive, describe, unsafeEntry} from './archive-errors.js'
import {isInside, unsafePathReason} from './entry-rules.js'
import type {DeferredSymlinks} from './symlinks.js'

const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
/** A link target longer than this cannot be created (PATH_MAX is 4096 bytes with its NUL). */
const MAX_LINK_TARGET = 4095
const REFUSED_TYPES: Readonly<Record<number, string>> = {
  0o020000: 'is a character device',
  0o060000: 'is a block device',
  0o010000: 'is a FIFO (named pipe)',
  0o140000: 'is a socket',
}
const DEFAULT_FILE_MODE = 0o666

/** Where and how to write an entry; `dest` is the real (symlink-free) extraction folder. */
export interface ZipTarget {
  archive: string
  dest: string
  zip: ZipFile
}

/** What the entries of one archive share: folders already checked, links still to create. */
export interface ZipState {
  realDirs: Set<string>
  links: DeferredSymlinks
}

export interface WrittenEntry {
  file: boolean
  bytes: number
}

function unixMode(entry: Entry): number {
  return entry.externalFileAttributes >>> 16
}

interface CheckedEntry {
  name: string
  kind: 'directory' | 'file' | 'symlink'
  destination: string
}

/**
 * An entry's path, its backslashes made slashes (record 0035): the zip format's separator is
 * "/", and archives made by old Windows tools that wrote "\\" meant folders, on every platform.
 */
export function entryName(entry: Entry): string {
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false).replaceAll('\\', '/')
}

function checkEntry(target: ZipTarget, entry: Entry): CheckedEntry {
  const name = entryName(entry)
  const refused = REFUSED_TYPES[unixMode(entry) & S_IFMT] ?? unsafePathReason(name)
  if (refused !== undefined) throw unsafeEntry(target.archive, name, refused)
  const destination = path.resolve(target.dest, name)
  if (!isInside(target.dest, destination)) throw unsafeEntry(target.archive, name, 'escapes the extraction folder')
  const type = unixMode(entry) & S_IFMT
  if (type !== S_IFLNK && (name.endsWith('/') || type === S_IFDIR)) return {name, kind: 'directory', destination}
  if (destination === target.dest) throw unsafeEntry(target.archive, name, 'would replace the extraction folder')
  if (entry.isEncrypted()) throw corruptArchive(target.archive, `entry ${JSON.stringify(name)} is encrypted`)
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw corruptArchive(target.archive, `entry ${JSON.stringify(name)} uses compression method ${entry.compressionMethod}`)
  }
  return {name, kind: type === S_IFLNK ? 'symlink' : 'file', destination}
}

/** Extracts one entry (a link is checked and recorded in `state.links`); archive_unsafe, archive_corrupt or io on failure. */
export async function extractZipEntry(target: ZipTarget, entry: Entry, state: ZipState): Promise<WrittenEntry> {
  const {name, kind, destination} = checkEntry(target, entry)
  if (kind === 'symlink') {
    const reason = state.links.admit(name, await readLinkTarget(target, entry, name))
    if (reason !== undefined) throw unsafeEntry(target.archive, name, reason)
    return {file: false, bytes: 0}
  }
  state.links.supersede(name)
  if (kind === 'directory') {
    await ensureDirectory(target, name, destination, state.realDirs)
    return {file: false, bytes: 0}
  }
  await ensureDirectory(target, name, path.dirname(destination), state.realDirs)
  await fsp.rm(destination, {force: true}).catch((error: unknown) => {
    throw ioError('replace', destination, error)
  })
  await writeData(target, entry, name, destination)
  return {file: true, bytes: entry.uncompressedSize}
}

/** A link entry's data is its target (as Info-ZIP stores it), read whole, bounded and CRC-checked. */
async function readLinkTarget(target: ZipTarget, entry: Entry, name: string): Promise<string> {
  if (entry.uncompressedSize > MAX_LINK_TARGET) {
    throw unsafeEntry(target.archive, name, `is a symbolic link whose target is longer than ${MAX_LINK_TARGET} bytes`)
  }
  const chunks: Buffer[] = []
  try {
    const data = await target.zip.openReadStreamPromise(entry)
    await pipeline(
      data,
      crcCheck(entry.crc32, () => badCrc(target.archive, name)),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) chunks.push(chunk)
      },
    )
  } catch (error) {
    if (error instanceof LanspreadError) throw error
    throw corruptArchive(target.archive, `entry ${JSON.stringify(name)}: ${describe(error)}`, error)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Creates a folder and checks that, links resolved, it is still inside the extraction folder. */
async function ensureDirectory(target: ZipTarget, name: string, dir: string, realDirs: Set<string>): Promise<void> {
  if (realDirs.has(dir)) return
  try {
    await fsp.mkdir(dir, {recursive: true})
    const real = await fsp.realpath(dir)
    if (!isInside(target.dest, real)) throw unsafeEntry(target.archive, name, 'would be written through a symbolic link out of the extraction folder')
  } catch (error) {
    throw isLanspreadError(error) ? error : ioError('create folder', dir, error)
  }
  realDirs.add(dir)
}

async function writeData(target: ZipTarget, entry: Entry, name: string, destination: string): Promise<void> {
  const mode = unixMode(entry) & 0o777 || DEFAULT_FILE_MODE
  try {
    const data = await target.zip.openReadStreamPromise(entry)
    const output = fs.createWriteStream(destination, {flags: 'wx', mode})
    await pipeline(
      data,
      crcCheck(entry.crc32, () => badCrc(target.archive, name)),
      output,
    )
  } catch (error) {
    if (error instanceof LanspreadError) throw error
    if (typeof error === 'object' && error !== null && 'syscall' in error) throw ioError('write', destination, error)
    throw corruptArchive(target.archive, `entry ${JSON.stringify(name)}: ${describe(error)}`, error)
  }
}

function badCrc(archive: string, name: string): LanspreadError {
  return corruptArchive(archive, `entry ${JSON.stringify(name)} fails its CRC-32 check`)
}

/** Passes data through and fails at the end unless its CRC-32 is `expected`. */
function crcCheck(expected: number, failure: () => LanspreadError): Transform {
  let crc = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = zlib.crc32(chunk, crc)
      callback(null, chunk)
    },
    flush(callback) {
      callback(crc === expected ? null : failure())
    },
  })
}
