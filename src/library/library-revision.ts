// library_rev and library_digest (SPEC §2.2): the digest is BLAKE3 of all summaries in a
// canonical encoding, so equal digests mean equal libraries; the revision moves forward
// by one after each refresh that changed the digest, and never backwards.
import {blake3Hex} from './blake3.js'
import {compareCodeUnits} from './fingerprint.js'
import type {GameSummary} from './summary.js'

const DIGEST_ENCODING_VERSION = 'lanspread-library-v2'

/** Fixed field order, so the encoding never depends on how an object was built. */
function canonicalSummary(s: GameSummary): unknown[] {
  return [s.id, s.name, s.eti_version, s.size, s.downloaded, s.installed, s.manifest_hash, s.availability, s.needs_recovery]
}

export function libraryDigest(summaries: readonly GameSummary[]): string {
  const sorted = [...summaries].sort((a, b) => compareCodeUnits(a.id, b.id))
  return blake3Hex(`${DIGEST_ENCODING_VERSION}\n${JSON.stringify(sorted.map(canonicalSummary))}`)
}

export interface RevisionStep {
  library_rev: number
  library_digest: string
  changed: boolean
}

/** The revision after a refresh: one more than before exactly when the digest changed. */
export function nextRevision(previousRev: number, previousDigest: string | null, digest: string): RevisionStep {
  const changed = digest !== previousDigest
  return {library_rev: changed ? previousRev + 1 : previousRev, library_digest: digest, changed}
}
