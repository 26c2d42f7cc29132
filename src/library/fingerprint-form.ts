// How a fingerprint is kept in the index (version 3): its parts in one string. Equal
// fingerprints are equal strings, and one string per game instead of seven objects makes
// the index a third smaller and a warm `scan` from a fresh process cheaper to load and compare.
import type {FileStamp, Fingerprint, FingerprintParts} from './schemas.js'

/**
 * "<sentinel>/<local>" then "/<archive name>/<stamp>" per archive, sorted by name; a stamp is
 * "<size>@<mtime_ms>", a missing version.ini "-", local/ "L" when it is a directory else "-".
 * A file name cannot hold "/", so the form is unambiguous; a size never starts with "-".
 */
export const FINGERPRINT_PATTERN = /^(?:-|\d+@[^/]+)\/[L-](?:\/[^/]+\/\d+@[^/]+)*$/

export function encodeFingerprint(parts: FingerprintParts): Fingerprint {
  let form = `${parts.sentinel ? stampForm(parts.sentinel) : '-'}/${parts.local_dir ? 'L' : '-'}`
  for (const archive of parts.archives) form += `/${archive.name}/${stampForm(archive)}`
  return form
}

/** `version.ini` was a regular file when the fingerprint was read. */
export function fingerprintHasSentinel(fingerprint: Fingerprint): boolean {
  return !fingerprint.startsWith('-')
}

/** `local/` was a directory when the fingerprint was read. */
export function fingerprintHasLocalDir(fingerprint: Fingerprint): boolean {
  return fingerprint[fingerprint.indexOf('/') + 1] === 'L'
}

export function isFingerprint(value: unknown): value is Fingerprint {
  return typeof value === 'string' && FINGERPRINT_PATTERN.test(value)
}

/** String(number) is the shortest form that reads back as the same number. */
function stampForm(stamp: FileStamp): string {
  return `${stamp.size}@${stamp.mtime_ms}`
}
