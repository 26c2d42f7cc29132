// The errors an extraction raises: a hostile entry (archive_unsafe) or damaged data
// (archive_corrupt), each naming the archive file and, where known, the entry.
import {LanspreadError} from '../../errors.js'

const DAMAGED_HINT = 'the archive is damaged: download the game again (lanspread fetch ID)'
const UNSAFE_HINT =
  'the archive tries to write outside its install folder or holds special files; lanspread refuses to install it: download the game again from a peer you trust (lanspread fetch ID)'

export function unsafeEntry(archive: string, entry: string, reason: string): LanspreadError {
  return new LanspreadError('archive_unsafe', `archive ${archive}: entry ${JSON.stringify(entry)} ${reason}`, {
    hint: UNSAFE_HINT,
  })
}

export function corruptArchive(archive: string, detail: string, cause?: unknown): LanspreadError {
  return new LanspreadError('archive_corrupt', `archive ${archive} is damaged: ${detail}`, {hint: DAMAGED_HINT, cause})
}

export function truncatedArchive(archive: string): LanspreadError {
  return new LanspreadError(
    'archive_corrupt',
    `archive ${archive} ends before its end-of-archive marker: the file is truncated; download it again`,
    {hint: DAMAGED_HINT},
  )
}

export function unknownFormat(archive: string, detail: string): LanspreadError {
  return new LanspreadError('archive_corrupt', `archive ${archive} ${detail}: its format is not tar, tar.gz or zip`, {
    hint: DAMAGED_HINT,
  })
}

/** The message of an unknown thrown value, for error details. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
