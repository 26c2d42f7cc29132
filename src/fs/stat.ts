// lstat that answers "absent" with null instead of an exception; other errors name the path.
import type {Stats} from 'node:fs'
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
