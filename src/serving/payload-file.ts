// Opens one payload file of a game for serving so that no symbolic link, wherever it sits in
// the path and whenever it was put there, can make a peer read anything outside the game root.
import type {Stats} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {wirePathProblem} from '../protocol/fields.js'

// O_NOFOLLOW: a last component swapped for a link fails the open. O_NONBLOCK: one swapped for
// a FIFO cannot hang the open (it is harmless for regular files).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0)

/** Where the kernel says an open descriptor points (Linux); absent elsewhere. */
const FD_LINKS = '/proc/self/fd'

export interface PayloadFileTarget {
  /** The game root, already resolved with realpath. */
  root: string
  /** The manifest path (relative POSIX). */
  relative: string
  /** The size the manifest lists. */
  size: number
  /** Names the game in errors. */
  id: string
  /**
   * Where the bytes are when not at `relative` (relative POSIX; a download's version.ini is
   * at .version.ini.tmp until it is published). Chosen by this peer, never by a request.
   */
  onDisk?: string
}

/**
 * Opens `<root>/<relative>` read-only after checking each parent is a real folder, then
 * checks the descriptor is that very regular file of the manifest's size. The caller closes it.
 */
export async function openPayloadFile(target: PayloadFileTarget): Promise<fs.FileHandle> {
  const problem = wirePathProblem(target.relative)
  if (problem)
    throw new LanspreadError('invalid_input', `refused path ${JSON.stringify(target.relative)} of game ${target.id}: it ${problem}`, {
      hint: 'ask only for paths of the manifest GetGame returned',
    })
  const full = path.join(target.root, ...diskSegments(target))
  const parents = await walkParents(target)
  const last = await lstatInGame(full, target)
  if (!last.isFile()) throw changed(target, last.isSymbolicLink() ? 'it is now a symbolic link' : 'it is no longer a regular file')
  const handle = await openNoFollow(full, target)
  try {
    const stat = await handle.stat()
    if (!stat.isFile() || stat.ino !== last.ino || stat.dev !== last.dev) throw changed(target, 'it was replaced while being opened')
    if (stat.size !== target.size) throw changed(target, `it is ${stat.size} bytes, the manifest says ${target.size}`)
    await assertOpenedAt(handle, full, parents, target)
    return handle
  } catch (error) {
    await handle.close()
    throw error
  }
}

/** lstat of every folder between the root and the file: each must be a folder, not a link to one. */
async function walkParents(target: PayloadFileTarget): Promise<Stats[]> {
  const segments = diskSegments(target).slice(0, -1)
  const stats: Stats[] = []
  let current = target.root
  for (const segment of segments) {
    current = path.join(current, segment)
    const stat = await lstatInGame(current, target)
    if (!stat.isDirectory()) throw changed(target, `${path.relative(target.root, current)} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}`)
    stats.push(stat)
  }
  return stats
}

/**
 * The descriptor must sit at the expected path: on Linux the kernel tells where it points
 * (a parent swapped for a link between the walk and the open shows there); elsewhere the
 * parents are walked again and must be the same folders.
 */
async function assertOpenedAt(handle: fs.FileHandle, full: string, parents: Stats[], target: PayloadFileTarget): Promise<void> {
  const where = await fs.readlink(path.join(FD_LINKS, String(handle.fd))).catch(() => undefined)
  if (where !== undefined) {
    if (where !== full) throw changed(target, 'a folder on its path was replaced while it was opened')
    return
  }
  const again = await walkParents(target)
  if (again.some((stat, i) => stat.ino !== parents[i]!.ino || stat.dev !== parents[i]!.dev)) {
    throw changed(target, 'a folder on its path was replaced while it was opened')
  }
}

function diskSegments(target: PayloadFileTarget): string[] {
  return (target.onDisk ?? target.relative).split('/')
}

async function lstatInGame(file: string, target: PayloadFileTarget): Promise<Stats> {
  try {
    return await fs.lstat(file)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') throw changed(target, 'it no longer exists')
    throw ioError('inspect', file, error)
  }
}

async function openNoFollow(file: string, target: PayloadFileTarget): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, OPEN_FLAGS)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ELOOP' || code === 'EMLINK') throw changed(target, 'it is now a symbolic link')
    if (code === 'ENOENT' || code === 'ENOTDIR') throw changed(target, 'it no longer exists')
    throw ioError('open', file, error)
  }
}

/** The file is not what the last scan saw: not served until a rescan puts it back in the manifest. */
function changed(target: PayloadFileTarget, why: string): LanspreadError {
  return new LanspreadError('not_downloaded', `${target.relative} of game ${target.id} is not served: ${why}`, {
    hint: 'the game changed on the source since its last scan; ask for the manifest again (GetGame) or use another source',
  })
}
