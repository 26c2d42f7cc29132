// lstat that answers "absent" with null instead of an exception, and readdir; other errors name the path.
import {type Dirent, type Stats, lstatSync} from 'node:fs'
import fs from 'node:fs/promises'
import {errnoCode, ioError} from '../errors.js'

export async function lstatOrNull(file: string): Promise<Stats | null> {
  try {
    return await fs.lstat(file)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw ioError('inspect', file, error)
  }
}

export function lstatOrNullSync(file: string): Stats | null {
  try {
    // throwIfNoEntry: an exception for every absent local/ costs more than the lstat itself.
    return lstatSync(file, {throwIfNoEntry: false}) ?? null
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw ioError('inspect', file, error)
  }
}

/** The entries of a folder (with their types); a failure names the folder. */
export async function listEntries(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, {withFileTypes: true})
  } catch (error) {
    throw ioError('list', dir, error)
  }
}
