// lstat that answers "absent" with null instead of an exception; other errors name the path.
import {type Stats, lstatSync} from 'node:fs'
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
