// Extracts a zip archive with yauzl, one entry at a time (lazyEntries): entry data streams
// from disk to disk, and a refused or damaged entry stops the loop with a typed error.
import fsp from 'node:fs/promises'
import yauzl, {type Entry, type ZipFile} from 'yauzl'
import {ioError} from '../../errors.js'
import {PlatformPaths} from '../../words/platform-paths.js'
import {corruptArchive, describe, unholdableEntry} from './archive-errors.js'
import {archiveSize, createProgress, type ExtractTotals, type ProgressListener} from './progress.js'
import {DeferredSymlinks} from './symlinks.js'
import {entryName, extractZipEntry, type ZipState, type ZipTarget} from './zip-entry.js'
import {CountingReader} from './zip-reader.js'

/** Extracts the zip `archive` into the existing folder `dest`; every name is checked against `names` before the first is written. */
export async function extractZip(
  archive: string,
  dest: string,
  onProgress?: ProgressListener,
  names: PlatformPaths = new PlatformPaths(process.platform, undefined),
): Promise<ExtractTotals> {
  const totalBytes = await archiveSize(archive)
  const progress = createProgress(totalBytes, onProgress)
  const realDest = await fsp.realpath(dest).catch((error: unknown) => {
    throw ioError('extract into', dest, error)
  })
  const handle = await fsp.open(archive, 'r').catch((error: unknown) => {
    throw ioError('read archive', archive, error)
  })
  const reader = new CountingReader(handle.fd, (bytes) => progress.add(bytes))
  // The names come from the central directory, so all of them are checked before any entry is written.
  const listing = new CountingReader(handle.fd, () => undefined)
  try {
    if (names.active) await checkNames(await openZip(listing, totalBytes, archive), archive, names)
    const zip = await openZip(reader, totalBytes, archive)
    try {
      const totals = await extractEntries({archive, dest: realDest, zip})
      progress.finish()
      return totals
    } finally {
      zip.close()
    }
  } finally {
    await Promise.all([reader.whenIdle(), listing.whenIdle()])
    await handle.close().catch(() => undefined)
  }
}

async function openZip(reader: CountingReader, totalBytes: number, archive: string): Promise<ZipFile> {
  const options: yauzl.Options = {lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true}
  try {
    const zip = await yauzl.fromRandomAccessReaderPromise(reader, totalBytes, options)
    // An error after the loop has stopped listening must not become an uncaught exception.
    zip.on('error', () => undefined)
    return zip
  } catch (error) {
    throw corruptArchive(archive, describe(error), error)
  }
}

/** Reads every entry's name (no data) and throws at the first one this computer cannot hold. */
async function checkNames(zip: ZipFile, archive: string, names: PlatformPaths): Promise<void> {
  try {
    for (let entry = await nextEntry({zip, archive}); entry !== undefined; entry = await nextEntry({zip, archive})) {
      const problem = names.problem(entryName(entry))
      if (problem !== undefined) throw unholdableEntry(archive, problem)
    }
  } finally {
    zip.close()
  }
}

async function extractEntries(target: ZipTarget): Promise<ExtractTotals> {
  const totals: ExtractTotals = {files: 0, bytes: 0}
  const state: ZipState = {realDirs: new Set<string>([target.dest]), links: new DeferredSymlinks()}
  for (let entry = await nextEntry(target); entry !== undefined; entry = await nextEntry(target)) {
    const written = await extractZipEntry(target, entry, state)
    if (!written.file) continue
    totals.files += 1
    totals.bytes += written.bytes
  }
  const failure = await state.links.create(target.archive, target.dest)
  if (failure !== undefined) throw failure
  return totals
}

/** The next entry of the central directory, or undefined after the last one. */
function nextEntry({zip, archive}: Pick<ZipTarget, 'zip' | 'archive'>): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      zip.off('entry', onEntry)
      zip.off('end', onEnd)
      zip.off('error', onError)
    }
    const onEntry = (entry: Entry): void => {
      settle()
      resolve(entry)
    }
    const onEnd = (): void => {
      settle()
      resolve(undefined)
    }
    const onError = (error: unknown): void => {
      settle()
      reject(corruptArchive(archive, describe(error), error))
    }
    zip.on('entry', onEntry)
    zip.on('end', onEnd)
    zip.on('error', onError)
    zip.readEntry()
  })
}
