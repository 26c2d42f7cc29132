// library_epoch (SPEC §2.2): a random ID created with a new index. Revisions compare only
// within one epoch, so when library_rev cannot be proven (index and library-rev.json both
// lost or unreadable) a new epoch makes peers take a snapshot instead of trusting it.
import {randomBytes} from 'node:crypto'
import type {QuickFormat} from '../fs/read-json.js'
import type {LibraryRevFile} from './schemas.js'
import {LIBRARY_EPOCH_PATTERN} from '../words/library-formats.js'

export {LIBRARY_EPOCH_PATTERN} from '../words/library-formats.js'

export type {LibraryRevFile} from './schemas.js'

export function isLibraryEpoch(value: unknown): value is string {
  return typeof value === 'string' && LIBRARY_EPOCH_PATTERN.test(value)
}

/** library-rev.json, read on every scan: checked by hand, LibraryRevFileSchema only when in doubt. */
export const libraryRevFormat: QuickFormat<LibraryRevFile> = {
  quick(json) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
    const {library_rev, library_epoch} = json as Record<string, unknown>
    if (typeof library_rev !== 'number' || !Number.isSafeInteger(library_rev) || library_rev < 0) return undefined
    if (library_epoch === undefined && !('library_epoch' in json)) return {library_rev}
    return isLibraryEpoch(library_epoch) ? {library_rev, library_epoch} : undefined
  },
  schema: async () => (await import('./schemas.js')).LibraryRevFileSchema,
}

export function newLibraryEpoch(): string {
  return randomBytes(16).toString('hex')
}

/** A revision found on disk: in library-rev.json, in index.json, or salvaged from a broken index. */
export interface RevisionRecord {
  library_rev: number
  library_epoch?: string | undefined
}

export interface SettledRevision {
  library_rev: number
  library_epoch: string
  /** A new epoch was made: no record, no epoch in any record, or records that disagree. */
  fresh: boolean
}

/**
 * The revision to continue from: the largest recorded one (library-rev.json is written
 * before the index, so it may be one ahead, never behind), in the one epoch all records
 * agree on. Without such an epoch nothing proves the revision: start a new epoch.
 */
export function settleRevision(records: readonly RevisionRecord[], makeEpoch: () => string = newLibraryEpoch): SettledRevision {
  const library_rev = Math.max(0, ...records.map((record) => record.library_rev))
  // A record without an epoch (a version-1 file, a salvaged index) counts for the revision only.
  const epochs = new Set(records.flatMap((record) => (record.library_epoch === undefined ? [] : [record.library_epoch])))
  const [only] = epochs
  if (epochs.size === 1 && only !== undefined) return {library_rev, library_epoch: only, fresh: false}
  return {library_rev, library_epoch: makeEpoch(), fresh: true}
}
