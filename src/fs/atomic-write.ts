// The one way lanspread replaces a file: a new temp file beside it, fsync, rename over the path
// itself, fsync of the folder. rename replaces a symbolic link, never the file it points to.
import fs from 'node:fs/promises'
import path from 'node:path'
import {ioError} from '../errors.js'
import {fsyncPath} from './durable.js'
import {type RenameRetryOptions, renameWithRetry} from './rename-retry.js'
import {type FileWriter, tempPathBeside, writeAll, writeNewFile} from './new-file.js'

export interface AtomicWriteComponents {
  /** Writes the temp file's data (tests inject a failing one). */
  writer?: FileWriter
  /** The rename over the file, retried while Windows says it is held open (tests inject one). */
  retry?: RenameRetryOptions
}

/**
 * Replaces `file` with `data`, all or nothing, and durably. A link at `file` is replaced by a
 * regular file; its target is never opened. On failure the temp file is gone and `file` unchanged.
 */
export async function writeFileDurably(file: string, data: string | Buffer, components: AtomicWriteComponents = {}): Promise<void> {
  const temp = tempPathBeside(file)
  try {
    await writeNewFile(temp, data, components.writer ?? writeAll)
  } catch (error) {
    throw ioError('write', file, error)
  }
  try {
    await renameWithRetry(temp, file, components.retry)
  } catch (error) {
    await fs.rm(temp, {force: true}).catch(() => undefined)
    throw ioError('write', file, error)
  }
  await fsyncPath(path.dirname(file)).catch((error: unknown) => {
    throw ioError('write', file, error)
  })
}

export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  await writeFileDurably(file, JSON.stringify(value) + '\n')
}
