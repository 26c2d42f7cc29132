// Creating a file that did not exist, with its whole content on disk before anyone can see it
// under its final name: the shared first step of atomic writes, lock files and peer.json.
import {randomBytes} from 'node:crypto'
import type {FileHandle} from 'node:fs/promises'
import fs from 'node:fs/promises'

/** Writes the data into an open file; tests inject one that fails (ENOSPC) halfway. */
export type FileWriter = (handle: FileHandle, data: string | Buffer) => Promise<void>

export const writeAll: FileWriter = (handle, data) => handle.writeFile(data)

/** A fresh name beside `file` that still starts with `<basename>.`, so sweeps of `<basename>.*` find it. */
export function tempPathBeside(file: string): string {
  return `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
}

/**
 * Creates `file` with O_CREAT|O_EXCL (never opens an existing file or follows a link planted at
 * its name), writes and fsyncs it. On any failure the file is removed and the error rethrown raw.
 */
export async function writeNewFile(file: string, data: string | Buffer, writer: FileWriter = writeAll): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o644)
  try {
    try {
      await writer(handle, data)
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    await fs.rm(file, {force: true}).catch(() => undefined)
    throw error
  }
}
