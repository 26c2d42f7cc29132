// Extracts a tar or tar.gz archive with the `tar` package, streaming from disk. We gunzip
// ourselves so that every failure ends in tar's 'close', after its last write to `dest`.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type {Readable} from 'node:stream'
import zlib from 'node:zlib'
import {Unpack} from 'tar'
import {ioError} from '../../errors.js'
import {PlatformPaths} from '../../words/platform-paths.js'
import {truncatedArchive, unsafeEntry} from './archive-errors.js'
import {archiveSize, createProgress, type ExtractTotals, type ProgressListener} from './progress.js'
import {TarGuard} from './tar-guard.js'

/**
 * The archive is read in reads this large. At the default 64 KiB, every read is a heap malloc
 * that glibc keeps after it is freed: serve's RSS grew ~5 MB with each install of a 420 MB game
 * (bench:memory, six fetches --install: 216 → 236 MB); at 1 MiB it stayed at 179–194 MB, and
 * the extraction took 1.6–2.0 s instead of 2.5–3.4 s.
 */
export const ARCHIVE_READ_BYTES = 1024 * 1024

/**
 * Extracts `archive` (plain tar, or gzip-compressed when `gzip`) into the existing folder `dest`.
 * A tar lists its names only as it goes: each is checked against `names` before tar writes it,
 * and a refusal stops the extraction (the caller removes `dest`, a staging folder).
 */
export async function extractTar(
  archive: string,
  dest: string,
  gzip: boolean,
  onProgress?: ProgressListener,
  names: PlatformPaths = new PlatformPaths(process.platform, undefined),
): Promise<ExtractTotals> {
  const progress = createProgress(await archiveSize(archive), onProgress)
  const guard = await runUnpack(archive, dest, gzip, names, (bytes) => progress.add(bytes))
  // Without its two zero blocks a tar was cut, maybe exactly between entries, which tar accepts.
  if (guard.failure === undefined && !guard.sawEnd) guard.fail(truncatedArchive(archive))
  if (guard.failure === undefined) await checkHardlinks(guard, archive, dest)
  if (guard.failure === undefined) {
    const failure = await guard.symlinks.create(archive, dest)
    if (failure !== undefined) guard.fail(failure)
  }
  if (guard.failure !== undefined) throw guard.failure
  progress.finish()
  return guard.totals
}

/** Feeds the archive to tar's Unpack; resolves once Unpack has closed, never rejects. */
function runUnpack(archive: string, dest: string, gzip: boolean, names: PlatformPaths, onBytes: (n: number) => void): Promise<TarGuard> {
  return new Promise((resolve) => {
    const source = fs.createReadStream(archive, {highWaterMark: ARCHIVE_READ_BYTES})
    const gunzip = gzip ? zlib.createGunzip() : undefined
    const feed: Readable = gunzip ?? source
    let ended = false
    // Stop reading and end the unpacker: it finishes what it started, then closes.
    const stop = (): void => {
      if (ended) return
      ended = true
      feed.unpipe(unpack)
      source.destroy()
      gunzip?.destroy()
      unpack.end()
    }
    const guard = new TarGuard(archive, dest, () => setImmediate(stop), names)
    const unpack = new Unpack({
      cwd: dest,
      filter: guard.filter,
      onReadEntry: guard.onReadEntry,
      onwarn: guard.onwarn,
      preserveOwner: false,
      unlink: true,
      brotli: false,
      zstd: false,
    })
    unpack.on('error', (error: unknown) => {
      guard.onError(error)
      // After an abort (tar's own decompressor failed) tar never closes: settle now.
      if (typeof error === 'object' && error !== null && 'tarCode' in error && error.tarCode === 'TAR_ABORT') {
        resolve(guard)
      }
    })
    unpack.on('close', () => resolve(guard))
    // The parser emits 'eof' at the second consecutive zero block: the end-of-archive marker.
    unpack.on('eof', () => {
      guard.sawEnd = true
    })
    source.on('error', (error) => guard.onError(error))
    gunzip?.on('error', (error) => guard.onError(error))
    source.on('data', (chunk) => onBytes(chunk.length))
    source.on('end', () => {
      if (gunzip === undefined) ended = true
    })
    gunzip?.on('end', () => {
      ended = true
    })
    if (gunzip !== undefined) source.pipe(gunzip)
    feed.pipe(unpack)
  })
}

/**
 * A hard link to a symbolic link (one left by an earlier archive: this archive's links are
 * created later) would copy that link to another folder, where its target means something else.
 */
async function checkHardlinks(guard: TarGuard, archive: string, dest: string): Promise<void> {
  for (const entry of guard.hardlinks) {
    const target = path.join(dest, entry)
    const stats = await fsp.lstat(target).catch((error: unknown) => {
      guard.fail(ioError('check', target, error))
      return undefined
    })
    if (stats?.isSymbolicLink() === true) guard.fail(unsafeEntry(archive, entry, 'is a hard link to a symbolic link'))
    if (guard.failure !== undefined) return
  }
}
