// The hand-written checks that keep zod out of a warm scan (catalog, library-rev.json,
// peer.json, a lock's owner record) may only vouch for what the zod schema accepts, and must
// return what its parse returns; whatever they doubt goes to the schema.
import {describe, expect, it} from 'vitest'
import {LockOwnerSchema} from '../../src/fs/lock-owner.js'
import {quickLockOwner} from '../../src/fs/pid-lock.js'
import {catalogFormat} from '../../src/library/catalog.js'
import {peerIdentityFormat} from '../../src/library/identity.js'
import {libraryRevFormat} from '../../src/library/library-epoch.js'
import {CatalogSchema, LibraryRevFileSchema, PeerIdentitySchema} from '../../src/library/schemas.js'
import type {z} from 'zod'

const EPOCH = '0123456789abcdef0123456789abcdef'
const UUID = '3b241101-e2bb-4255-8caf-4136c566a962'
const OWNER = {pid: 42, start_time: '123', hostname: 'h', purpose: 'scan', acquired_at: '2026-01-01T00:00:00.000Z'}

interface Case {
  name: string
  quick: (json: unknown) => unknown
  schema: z.ZodType
  /** Written by lanspread itself: the quick check must vouch for these. */
  valid: unknown[]
  /** Anything else, broken or merely unusual: the quick check may doubt, never disagree. */
  others: unknown[]
}

const CASES: Case[] = [
  {
    name: 'catalog',
    quick: (json) => catalogFormat.quick(json),
    schema: CatalogSchema,
    valid: [
      [],
      [{id: 'quake3', name: 'Quake III Arena'}],
      [
        {id: 'a.b_c-1', name: 'x', extra: {kept: true}},
        {id: 'b', name: 'y'},
      ],
    ],
    others: [
      {},
      null,
      'x',
      [null],
      [[]],
      [{id: 'quake3'}],
      [{id: 'quake3', name: ''}],
      [{id: 'quake3', name: 3}],
      [{id: '-bad', name: 'x'}],
      [{id: 'a/b', name: 'x'}],
      [{id: 'x'.repeat(129), name: 'x'}],
      [{id: 7, name: 'x'}],
      [
        {id: 'dup', name: 'x'},
        {id: 'dup', name: 'y'},
      ],
    ],
  },
  {
    name: 'library-rev.json',
    quick: (json) => libraryRevFormat.quick(json),
    schema: LibraryRevFileSchema,
    valid: [{library_rev: 0}, {library_rev: 7, library_epoch: EPOCH}, {library_rev: 7, library_epoch: EPOCH, stray: 1}],
    others: [
      null,
      [],
      {},
      {library_rev: -1},
      {library_rev: 1.5},
      {library_rev: '1'},
      {library_rev: 2 ** 60},
      {library_rev: 1, library_epoch: null},
      {library_rev: 1, library_epoch: 'ABCDEF0123456789ABCDEF0123456789'},
      {library_rev: 1, library_epoch: EPOCH.slice(1)},
    ],
  },
  {
    name: 'peer.json',
    quick: (json) => peerIdentityFormat.quick(json),
    schema: PeerIdentitySchema,
    valid: [{peer_id: UUID}, {peer_id: UUID, note: 'kept'}],
    others: [null, [], {}, {peer_id: 'nope'}, {peer_id: UUID.toUpperCase()}, {peer_id: '00000000-0000-0000-0000-000000000000'}, {peer_id: 5}],
  },
  {
    name: 'lock owner',
    quick: quickLockOwner,
    schema: LockOwnerSchema,
    valid: [OWNER, {...OWNER, start_time: null}, {...OWNER, stray: 'dropped'}],
    others: [null, [], {}, {...OWNER, pid: 0}, {...OWNER, pid: 1.5}, {...OWNER, start_time: 5}, {...OWNER, hostname: undefined}, {...OWNER, acquired_at: null}],
  },
]

describe.each(CASES)('the quick check of $name', ({quick, schema, valid, others}) => {
  it('vouches for what lanspread writes, returning what the schema returns', () => {
    for (const json of valid) {
      const parsed = schema.safeParse(json)
      expect(parsed.success).toBe(true)
      expect(quick(json)).toEqual(parsed.data)
    }
  })

  it('never vouches for what the schema rejects, nor returns anything else than it would', () => {
    for (const json of others) {
      const value = quick(json)
      if (value === undefined) continue
      const parsed = schema.safeParse(json)
      expect(parsed.success, JSON.stringify(json)).toBe(true)
      expect(value).toEqual(parsed.data)
    }
    expect(others.some((json) => !schema.safeParse(json).success)).toBe(true)
  })
})
