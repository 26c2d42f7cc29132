// Extraction of a game's `.eti` archives into a staging folder: detects the format from the
// bytes and hands the archive to the tar or zip extractor. Callers delete `dest` on any error.
import fsp from 'node:fs/promises'
import {ioError, LanspreadError} from '../../errors.js'
import type {PlatformPaths} from '../../words/platform-paths.js'
import {type ArchiveFormat, detectArchiveFormat} from './detect.js'
import type {ExtractTotals} from './progress.js'
import {extractTar} from './tar.js'
import {extractZip} from './zip.js'

export {type ArchiveFormat, detectArchiveFormat, detectFormat} from './detect.js'
export {PlatformPaths} from '../../words/platform-paths.js'

export interface ExtractOptions {
  /** Called as bytes of the archive file are consumed: (bytesRead, totalBytes of the archive file). */
  onProgress?: (bytesRead: number, totalBytes: number) => void
  /**
   * The names this computer can hold (record 0035), one checker for all the archives of an
   * install so that their entries are compared with each other; default: this platform's, no length check.
   */
  names?: PlatformPaths
}

export interface ExtractResult {
  format: ArchiveFormat
  files: number
  bytes: number
}

async function assertDirectory(dest: string): Promise<void> {
  const stats = await fsp.stat(dest).catch((error: unknown) => {
    throw ioError('extract into', dest, error)
  })
  if (stats.isDirectory()) return
  throw new LanspreadError('io', `could not extract into ${dest}: not a folder`, {
    hint: 'remove that file and run the command again',
  })
}

/** Extracts `archive` into the existing folder `dest` (a staging folder that the caller deletes on any error). */
export async function extractArchive(archive: string, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const format = await detectArchiveFormat(archive)
  await assertDirectory(dest)
  const totals: ExtractTotals =
    format === 'zip'
      ? await extractZip(archive, dest, options.onProgress, options.names)
      : await extractTar(archive, dest, format === 'tar.gz', options.onProgress, options.names)
  return {format, ...totals}
}
