import {describe, expect, it} from 'vitest'
import {encodeFingerprint, fingerprintHasLocalDir, fingerprintHasSentinel} from '../../src/library/fingerprint-form.js'
import {parseIndex} from '../../src/library/index-format.js'
import {settleRevision} from '../../src/library/library-epoch.js'
import {LibraryIndexSchema} from '../../src/library/schemas.js'

const EPOCH = 'a'.repeat(32)
const game = () => ({
  fingerprint: '1@2/-/g.eti/3@1.5',
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
  ['digest_stamp a number', (d) => ((d as Record<string, unknown>).digest_stamp = 7)],
  ['journal_id missing', (d) => delete (d as Partial<{journal_id: string}>).journal_id],
  ['games an array', (d) => ((d as Record<string, unknown>).games = [])],
  ['game null', (d) => ((d.games as Record<string, unknown>).g = null)],
  ['fingerprint an object (version 2)', (d) => ((d.games.g as Record<string, unknown>).fingerprint = {archives: [], sentinel: null, local_dir: false})],
  ['archive without stamp', (d) => (d.games.g.fingerprint = '1@2/-/g.eti')],
  ['archive with an empty name', (d) => (d.games.g.fingerprint = '1@2/-//3@1.5')],
  ['sentinel without mtime', (d) => (d.games.g.fingerprint = '1/-/g.eti/3@1.5')],
  ['local flag missing', (d) => (d.games.g.fingerprint = '1@2/g.eti/3@1.5')],
  ['negative size', (d) => (d.games.g.fingerprint = '-1@2/-')],
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
    doc.games.g.fingerprint = '-/L'
    expect(LibraryIndexSchema.safeParse(doc).success).toBe(true)
    expect(await parseIndex(doc)).toEqual({status: 'ok', index: doc})
  })

  it.each([
    ['absent', undefined],
    ['null', null],
    ['a string', 'lanspread-library-v2 x'],
  ])('accepts a digest_stamp that is %s, as the schema does', async (_, stamp) => {
    const doc = {...index(), ...(stamp === undefined ? {} : {digest_stamp: stamp})}
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

describe('fingerprint form', () => {
  it('encodes every part so that equal strings mean equal fingerprints, and reads its flags back', () => {
    const parts = {
      archives: [
        {name: 'a b;c@d.eti', size: 3, mtime_ms: 1795671010305.061},
        {name: 'z.eti', size: 0, mtime_ms: -5.25},
      ],
      sentinel: {size: 4, mtime_ms: 2},
      local_dir: true,
    }
    const form = encodeFingerprint(parts)
    expect(form).toBe('4@2/L/a b;c@d.eti/3@1795671010305.061/z.eti/0@-5.25')
    expect([fingerprintHasSentinel(form), fingerprintHasLocalDir(form)]).toEqual([true, true])
    const bare = encodeFingerprint({archives: [], sentinel: null, local_dir: false})
    expect([bare, fingerprintHasSentinel(bare), fingerprintHasLocalDir(bare)]).toEqual(['-/-', false, false])
    // A change to any one part changes the string.
    const variants = [
      {...parts, local_dir: false},
      {...parts, sentinel: null},
      {...parts, sentinel: {size: 4, mtime_ms: 2.001}},
      {...parts, archives: parts.archives.slice(1)},
      {...parts, archives: [{...parts.archives[0]!, size: 4}, parts.archives[1]!]},
      {...parts, archives: [{...parts.archives[0]!, name: 'a b;c@d2.eti'}, parts.archives[1]!]},
    ]
    for (const variant of variants) expect(encodeFingerprint(variant)).not.toBe(form)
  })

  it('migrates a version-2 index (fingerprint objects) to the string form without moving the revision', async () => {
    const doc = {
      ...index(),
      version: 2,
      games: {g: {...game(), fingerprint: {archives: [{name: 'g.eti', size: 3, mtime_ms: 1.5}], sentinel: {size: 1, mtime_ms: 2}, local_dir: false}}},
    }
    delete (doc as Partial<typeof doc>).journal_id
    const parsed = await parseIndex(doc)
    expect(parsed).toMatchObject({
      status: 'v2',
      index: {version: 3, library_rev: 3, library_epoch: EPOCH, games: {g: {fingerprint: '1@2/-/g.eti/3@1.5', size: 4}}},
    })
    expect(await parseIndex({...doc, games: {g: {...doc.games.g, fingerprint: '1@2/-'}}})).toMatchObject({status: 'invalid'})
    expect(await parseIndex({...doc, games: []})).toMatchObject({status: 'invalid'})
  })
})

describe('settleRevision', () => {
  const fresh = () => 'b'.repeat(32)

  it('continues the largest revision in the epoch the records agree on', () => {
    expect(
      settleRevision(
        [
          {library_rev: 4, library_epoch: EPOCH},
          {library_rev: 3, library_epoch: EPOCH},
        ],
        fresh,
      ),
    ).toEqual({library_rev: 4, library_epoch: EPOCH, fresh: false})
    // A record without an epoch (salvaged, or version 1) counts for the revision only.
    expect(settleRevision([{library_rev: 4, library_epoch: EPOCH}, {library_rev: 9}], fresh)).toEqual({library_rev: 9, library_epoch: EPOCH, fresh: false})
  })

  it('starts a new epoch with no record, with no epoch in any record, or with records that disagree', () => {
    expect(settleRevision([], fresh)).toEqual({library_rev: 0, library_epoch: fresh(), fresh: true})
    expect(settleRevision([{library_rev: 7}], fresh)).toEqual({library_rev: 7, library_epoch: fresh(), fresh: true})
    expect(
      settleRevision(
        [
          {library_rev: 7, library_epoch: EPOCH},
          {library_rev: 2, library_epoch: 'c'.repeat(32)},
        ],
        fresh,
      ),
    ).toMatchObject({library_rev: 7, fresh: true})
  })
})
