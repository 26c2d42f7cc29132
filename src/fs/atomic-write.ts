// Durable replacement of a small file: temp file, fsync, rename (write-file-atomic), then an
// fsync of the folder so the rename itself survives a power cut.
import fs from 'node:fs/promises'
import path from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import {ioError} from '../errors.js'

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  try {
    await writeFileAtomic(file, data, {fsync: true})
    await fsyncDir(path.dirname(file))
  } catch (error) {
    throw ioError('write', file, error)
  }
}

export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  await writeFileDurably(file, JSON.stringify(value) + '\n')
}
