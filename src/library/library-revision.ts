// library_rev and library_digest (SPEC §2.2): the digest is BLAKE3 of all summaries in a
// canonical encoding, so equal digests mean equal libraries; the revision moves forward
// by one after each refresh that changed the digest, and never backwards. A digest is stored
// with the stamp of its other inputs, so a refresh that changed none of them reuses it.
import {createHash} from 'node:crypto'
import {blake3Hex} from './blake3.js'
import {compareCodeUnits} from './fingerprint.js'
import type {GameId} from './layout.js'
import type {GameSummary} from './summary.js'

const DIGEST_ENCODING_VERSION = 'lanspread-library-v2'

/** Fixed field order, so the encoding never depends on how an object was built. */
function canonicalSummary(s: GameSummary): unknown[] {
  const fields: unknown[] = [s.id, s.name, s.eti_version, s.size, s.downloaded, s.installed, s.manifest_hash, s.availability, s.needs_recovery]
  // Only a download in progress has one: every other summary encodes as before this field existed.
  if (s.content_hash !== undefined) fields.push(s.content_hash)
  return fields
}

export function libraryDigest(summaries: readonly GameSummary[]): string {
  const sorted = [...summaries].sort((a, b) => compareCodeUnits(a.id, b.id))
  return blake3Hex(`${DIGEST_ENCODING_VERSION}\n${JSON.stringify(sorted.map(canonicalSummary))}`)
}

/**
 * Everything library_digest depends on besides the index entries: the encoding, the epoch,
 * the catalog (its stamp: names and which IDs are listed) and the running operations (a
 * download with its target, summary.ts activeOperations), hashed
 * (SHA-256, 128 bits kept: it tells inputs apart, it proves nothing to peers). The summaries
 * are a function of the entries and these, so the same entries under the same stamp give the
 * same digest, and the stored one is reused without hashing the summaries.
 */
export function digestStamp(epoch: string, catalogStamp: string, active: ReadonlyMap<GameId, string>): string {
  const operations = [...active].map(([id, kind]) => `${id}=${kind}`).sort(compareCodeUnits)
  return createHash('sha256')
    .update(`${DIGEST_ENCODING_VERSION}\n${epoch}\n${catalogStamp}\n${operations.join(',')}`)
    .digest('hex')
    .slice(0, 32)
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
