// A synthetic game for the fetch benchmarks: files of random bytes in whole 1 MiB pieces, no
// two alike (nothing can be reused at any chunk size), written fast from one random block.
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {MIN_CHUNK_SIZE} from '../../src/config.js'

export const MiB = 1024 * 1024
/** The chunk size of every game a test writes (library/chunk-size.ts: games up to 4 GiB). */
export const CHUNK = MIN_CHUNK_SIZE

/**
 * Writes `files` files of `mib` MiB in all and version.ini into `root`. A random 4 MiB block is
 * reused for speed, but every 1 MiB piece starts with its own 32 random bytes.
 */
export async function writeGame(root: string, files: number, mib: number, version: string): Promise<{name: string; size: number}[]> {
  await fs.mkdir(root, {recursive: true})
  const block = randomBytes(4 * CHUNK)
  const size = (mib * MiB) / files
  const written = []
  let chunkIndex = 0
  for (let f = 0; f < files; f++) {
    const name = `part${f}.eti`
    const handle = await fs.open(path.join(root, name), 'w')
    try {
      for (let offset = 0; offset < size; offset += CHUNK) {
        const chunk = block.subarray((chunkIndex % 4) * CHUNK, (chunkIndex % 4) * CHUNK + CHUNK)
        randomBytes(32).copy(chunk)
        await handle.write(chunk, 0, chunk.length, offset)
        chunkIndex++
      }
    } finally {
      await handle.close()
    }
    written.push({name, size})
  }
  await fs.writeFile(path.join(root, 'version.ini'), `${version}\n`)
  return written
}
