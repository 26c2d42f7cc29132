import {describe, expect, it} from 'vitest'
import {parseIndex} from '../../src/library/index-format.js'
import {settleRevision} from '../../src/library/library-epoch.js'
import {LibraryIndexSchema} from '../../src/library/schemas.js'

const EPOCH = 'a'.repeat(32)
const game = () => ({
  fingerprint: {archives: [{name: 'g.eti', size: 3, mtime_ms: 1.5}], sentinel: {size: 1, mtime_ms: 2}, local_dir: false},
  marks: [{name: '.lanspread.json', dir: false, size: 17, mtime_ms: 3}],
  needs_recovery: false,
  eti_version: '1.0',
  size: 4,
  manifest_hash: 'h',
  file_count: 2,
})
const index = () => ({version: 3, library_epoch: EPOCH, library_rev: 3, library_digest: 'd', journal_id: '0123456789abcdef', games: {g: game()}})

/** Each case breaks one field; the hand-written check and the zod schema must agree on all. */
const BROKEN: [string, (doc: ReturnType<typeof index>) => void][] = [
  ['epoch not hex', (d) => (d.library_epoch = 'nope')],
  ['negative rev', (d) => (d.library_rev = -1)],
  ['fractional rev', (d) => (d.library_rev = 1.5)],
  ['digest a number', (d) => ((d as Record<string, unknown>).library_digest = 5)],
  ['journal_id missing', (d) => delete (d as Partial<{journal_id: string}>).journal_id],
  ['games an array', (d) => ((d as Record<string, unknown>).games = [])],
  ['game null', (d) => ((d.games as Record<string, unknown>).g = null)],
  ['archive without name', (d) => delete (d.games.g.fingerprint.archives[0] as Partial<{name: string}>).name],
  ['sentinel a string', (d) => ((d.games.g.fingerprint as Record<string, unknown>).sentinel = 'x')],
  ['local_dir missing', (d) => delete (d.games.g.fingerprint as Partial<{local_dir: boolean}>).local_dir],
  ['marks an object', (d) => ((d.games.g as Record<string, unknown>).marks = {})],
  ['mark without dir', (d) => delete (d.games.g.marks[0] as Partial<{dir: boolean}>).dir],
  ['needs_recovery a string', (d) => ((d.games.g as Record<string, unknown>).needs_recovery = 'no')],
  ['eti_version a number', (d) => ((d.games.g as Record<string, unknown>).eti_version = 1)],
  ['size negative', (d) => (d.games.g.size = -4)],
  ['manifest_hash missing', (d) => delete (d.games.g as Partial<{manifest_hash: string}>).manifest_hash],
  ['file_count fractional', (d) => (d.games.g.file_count = 0.5)],
]

describe('index.json check', () => {
  it('accepts what the schema accepts, including null marks and a null sentinel', async () => {
    const doc = index()
    ;(doc.games.g as Record<string, unknown>).marks = null
    ;(doc.games.g.fingerprint as Record<string, unknown>).sentinel = null
    expect(LibraryIndexSchema.safeParse(doc).success).toBe(true)
    expect(await parseIndex(doc)).toEqual({status: 'ok', index: doc})
  })

  it.each(BROKEN)('rejects what the schema rejects: %s', async (_, breakIt) => {
    const doc = index()
    breakIt(doc)
    expect(LibraryIndexSchema.safeParse(doc).success).toBe(false)
    expect((await parseIndex(doc)).status).toBe('invalid')
  })
})

describe('settleRevision', () => {
  const fresh = () => 'b'.repeat(32)

  it('continues the largest revision in the epoch the records agree on', () => {
    expect(settleRevision([{library_rev: 4, library_epoch: EPOCH}, {library_rev: 3, library_epoch: EPOCH}], fresh)).toEqual({library_rev: 4, library_epoch: EPOCH, fresh: false})
    // A record without an epoch (salvaged, or version 1) counts for the revision only.
    expect(settleRevision([{library_rev: 4, library_epoch: EPOCH}, {library_rev: 9}], fresh)).toEqual({library_rev: 9, library_epoch: EPOCH, fresh: false})
  })

  it('starts a new epoch with no record, with no epoch in any record, or with records that disagree', () => {
    expect(settleRevision([], fresh)).toEqual({library_rev: 0, library_epoch: fresh(), fresh: true})
    expect(settleRevision([{library_rev: 7}], fresh)).toEqual({library_rev: 7, library_epoch: fresh(), fresh: true})
    expect(settleRevision([{library_rev: 7, library_epoch: EPOCH}, {library_rev: 2, library_epoch: 'c'.repeat(32)}], fresh)).toMatchObject({library_rev: 7, fresh: true})
  })
})
