// Durable replacement of a small file: temp file, fsync, rename (write-file-atomic), then an
// fsync of the folder (write-file-atomic does not) so the rename itself survives a power cut.
import path from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import {ioError} from '../errors.js'
import {fsyncPath} from './durable.js'

export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(file, data, {fsync: true})
    await fsyncPath(path.dirname(file))
  } catch (error) {
    throw ioError('write', file, error)
  }
}

export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  await writeFileDurably(file, JSON.stringify(value) + '\n')
}
