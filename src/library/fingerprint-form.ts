// How a fingerprint is kept in the index (version 3): its parts in one string. Equal
// fingerprints are equal strings, and one string per game instead of seven objects makes
// the index a third smaller and a warm `scan` from a fresh process cheaper to load and compare.
import type {Fingerprint, FingerprintParts} from './schemas.js'
import {FINGERPRINT_PATTERN} from '../words/library-formats.js'

export {FINGERPRINT_PATTERN} from '../words/library-formats.js'

export function encodeFingerprint(parts: FingerprintParts): Fingerprint {
  const {sentinel} = parts
  let form = rootForm(sentinel ? stampForm(sentinel.size, sentinel.mtime_ms) : NO_SENTINEL, parts.local_dir)
  for (const archive of parts.archives) form += archiveForm(archive.name, stampForm(archive.size, archive.mtime_ms))
  return form
}

// The pieces of the form, from plain numbers: a warm scan builds one form per game straight
// from its lstats (fingerprint.ts), with no stamp objects in between.

/** String(number) is the shortest form that reads back as the same number. */
export function stampForm(size: number, mtimeMs: number): string {
  return `${size}@${mtimeMs}`
}

/** The sentinel part when version.ini is not a regular file. */
export const NO_SENTINEL = '-'

/** The start of the form: the sentinel's stamp (or NO_SENTINEL), then local/. */
export function rootForm(sentinel: string, localDir: boolean): string {
  return `${sentinel}/${localDir ? 'L' : '-'}`
}

/** One archive's part, appended in name order. */
export function archiveForm(name: string, stamp: string): string {
  return `/${name}/${stamp}`
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
