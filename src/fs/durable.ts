// Changes that survive a power cut: fsync of files, folders and whole trees, and renames
// and removals followed by an fsync of the parent folder.
import fs from 'node:fs/promises'
import path from 'node:path'
import {ioError} from '../errors.js'
import {type RenameRetryOptions, renameWithRetry} from './rename-retry.js'

/** fsyncs a file or a folder (a folder's fsync makes renames and removals in it durable). */
export async function fsyncPath(target: string): Promise<void> {
  const handle = await fs.open(target, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** fsyncs every file and folder below `dir`, and `dir`: the data is on disk before a rename publishes it. */
export async function fsyncTree(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, {withFileTypes: true}).catch((error: unknown) => {
    throw ioError('list', dir, error)
  })
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) await fsyncTree(full)
    else if (entry.isFile()) await fsyncPath(full)
  }
  await fsyncPath(dir)
}

/** Renames (retried while Windows says the file is held open, see rename-retry) and fsyncs the folder. */
export async function renameDurably(from: string, to: string, parent: string, retry: RenameRetryOptions = {}): Promise<void> {
  try {
    await renameWithRetry(from, to, retry)
    await fsyncPath(parent)
  } catch (error) {
    throw ioError(`rename ${from} to`, to, error)
  }
}

export async function removeTree(dir: string, parent: string): Promise<void> {
  try {
    await fs.rm(dir, {recursive: true, force: true})
    await fsyncPath(parent)
  } catch (error) {
    throw ioError('remove', dir, error)
  }
}
