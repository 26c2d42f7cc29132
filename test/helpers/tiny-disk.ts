// A real full disk for tests: a 64 KiB tmpfs mounted on a temp folder (needs root and a
// permitted `mount`). Tests that need it are skipped, with the reason, where mount is refused.
import {execa} from 'execa'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface TinyDisk {
  dir: string
  /** Fills every free byte, so the next write fails with ENOSPC. */
  fill(): Promise<void>
  /** Frees what fill() took. */
  free(): Promise<void>
  unmount(): Promise<void>
}

export async function mountTinyDisk(sizeKiB = 64): Promise<TinyDisk> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-tiny-disk-'))
  try {
    await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], {timeout: 10_000})
  } catch (error) {
    await fs.rmdir(dir)
    throw error
  }
  const filler = path.join(dir, 'filler')
  return {
    dir,
    async fill() {
      await fs.writeFile(filler, Buffer.alloc(sizeKiB * 1024 * 2)).catch(() => undefined)
    },
    free: () => fs.rm(filler, {force: true}),
    async unmount() {
      await execa('umount', [dir], {timeout: 10_000})
      await fs.rmdir(dir)
    },
  }
}

/** Why a tiny disk cannot be mounted here, or undefined when it can. */
export async function tinyDiskUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs'
  try {
    const disk = await mountTinyDisk()
    await disk.unmount()
    return undefined
  } catch (error) {
    return `mount -t tmpfs was refused: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`
  }
}
