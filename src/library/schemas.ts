// The zod schemas of the library's files and records, and the types inferred from them. Kept
// apart because importing zod costs ~60 ms of CPU in a fresh process, more than the rest of a
// warm `lanspread scan`: the scan path imports only the types and checks its few small files
// by hand (each module's quick check), loading this module only when a check is unsure, a
// game file is read, or a test compares the two.
import {z} from 'zod'
import {FINGERPRINT_PATTERN, GAME_FILE_VERSION, GAME_ID_PATTERN, GAME_ID_RULE, INDEX_VERSION, LIBRARY_EPOCH_PATTERN} from '../words/library-formats.js'

export const GameIdSchema = z.string().regex(GAME_ID_PATTERN, GAME_ID_RULE)
export type GameId = z.infer<typeof GameIdSchema>

// fingerprint.ts
const FileStampSchema = z.object({size: z.number().int().nonnegative(), mtime_ms: z.number()})
export type FileStamp = z.infer<typeof FileStampSchema>

/** A fingerprint's parts as read from disk; indexes of version 1 and 2 stored them as this object. */
export const FingerprintPartsSchema = z.object({
  archives: z.array(FileStampSchema.extend({name: z.string()})),
  sentinel: FileStampSchema.nullable(),
  local_dir: z.boolean(),
})
export type FingerprintParts = z.infer<typeof FingerprintPartsSchema>

/** The parts in one string (fingerprint.ts, encodeFingerprint), as index version 3 keeps them. */
export const FingerprintSchema = z.string().regex(FINGERPRINT_PATTERN, 'not a fingerprint')
export type Fingerprint = z.infer<typeof FingerprintSchema>

// recovery-marks.ts
export const MarkSchema = z.object({
  name: z.string(),
  dir: z.boolean(),
  size: z.number(),
  /** A folder's mtime moves when lanspread's marker appears in it. */
  mtime_ms: z.number(),
})
export type Mark = z.infer<typeof MarkSchema>

// manifest.ts
export const ManifestFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  /** Kept for the content-hash cache key; not part of manifest_hash. */
  mtime_ms: z.number(),
})

export const ManifestSchema = z.object({
  chunk_size: z.number().int().positive(),
  files: z.array(ManifestFileSchema),
})

export type ManifestFile = z.infer<typeof ManifestFileSchema>
export type Manifest = z.infer<typeof ManifestSchema>

// content-hashes.ts
export const FileHashesSchema = z.object({
  size: z.number().int().nonnegative(),
  mtime_ms: z.number(),
  chunk_size: z.number().int().positive(),
  /**
   * How `hash` was derived; FILE_HASH_FORM = BLAKE3 over the chunk hashes. Absent in entries
   * cached before it existed (whole-file BLAKE3): those still parse, and are recomputed.
   */
  hash_form: z.number().int().positive().optional(),
  /** The file hash, hex: fileHashOf(chunks). */
  hash: z.string(),
  /** BLAKE3 of each chunk, hex, in file order; a file of 0 bytes has one (of no bytes). */
  chunks: z.array(z.string()),
})
export type FileHashes = z.infer<typeof FileHashesSchema>

// game-store.ts
export const GameFileSchema = z.object({
  version: z.literal(GAME_FILE_VERSION),
  manifest: ManifestSchema,
  content_hashes: z.record(z.string(), FileHashesSchema),
})
export type GameFile = z.infer<typeof GameFileSchema>

// library-epoch.ts
export const LibraryEpochSchema = z.string().regex(LIBRARY_EPOCH_PATTERN, 'not a library_epoch (32 hex digits)')

/** library-rev.json. Files of index version 1 hold no epoch. */
export const LibraryRevFileSchema = z.object({
  library_rev: z.number().int().nonnegative(),
  library_epoch: LibraryEpochSchema.optional(),
})
export type LibraryRevFile = z.infer<typeof LibraryRevFileSchema>

// identity.ts
export const PeerIdentitySchema = z.looseObject({peer_id: z.uuid()})
export type PeerIdentity = z.infer<typeof PeerIdentitySchema>

// catalog.ts
export const CatalogEntrySchema = z.looseObject({
  id: GameIdSchema,
  name: z.string().min(1, 'name must not be empty'),
})

export const CatalogSchema = z.array(CatalogEntrySchema).superRefine((entries, ctx) => {
  const seen = new Set<string>()
  entries.forEach((entry, i) => {
    if (seen.has(entry.id)) ctx.addIssue({code: 'custom', path: [i, 'id'], message: `duplicate game ID "${entry.id}"`})
    seen.add(entry.id)
  })
})
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>

// summary.ts
export const AvailabilitySchema = z.enum(['ready', 'downloading', 'local_only'])
export type Availability = z.infer<typeof AvailabilitySchema>

export const GameSummarySchema = z.object({
  id: GameIdSchema,
  name: z.string(),
  eti_version: z.string().nullable(),
  size: z.number().int().nonnegative(),
  downloaded: z.boolean(),
  installed: z.boolean(),
  manifest_hash: z.string(),
  availability: AvailabilitySchema,
  /** An interrupted operation is left in the folder: `lanspread recover` with its ID repairs it. */
  needs_recovery: z.boolean(),
  /**
   * Only while a download runs (`downloading`): the content_hash it fetches, beside its target
   * manifest_hash (SPEC §5.1). Absent otherwise, and in the summaries of peers before it.
   */
  content_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits')
    .optional(),
})
export type GameSummary = z.infer<typeof GameSummarySchema>

// index-format.ts
export const IndexedGameSchema = z.object({
  fingerprint: FingerprintSchema,
  /** null: not read yet (an entry migrated from version 1); the next scan reads them. */
  marks: z.array(MarkSchema).nullable(),
  needs_recovery: z.boolean(),
  eti_version: z.string().nullable(),
  size: z.number().int().nonnegative(),
  manifest_hash: z.string(),
  file_count: z.number().int().nonnegative(),
})

export const LibraryIndexSchema = z.object({
  version: z.literal(INDEX_VERSION),
  library_epoch: LibraryEpochSchema,
  library_rev: z.number().int().nonnegative(),
  /** library_digest of the summaries published at library_rev; null before the first scan. */
  library_digest: z.string().nullable(),
  /**
   * What library_digest was computed under besides the entries (library-revision.ts,
   * digestStamp); absent or null: unknown, the next refresh computes the digest again.
   */
  digest_stamp: z.string().nullable().optional(),
  /** Which index.log records build on this checkpoint: those with the same journal_id. */
  journal_id: z.string(),
  games: z.record(z.string(), IndexedGameSchema),
})

export type IndexedGame = z.infer<typeof IndexedGameSchema>
export type LibraryIndex = z.infer<typeof LibraryIndexSchema>

/** Version 1 (one file holding every manifest); read only to migrate it. */
export const V1IndexSchema = z.object({
  version: z.literal(1),
  library_rev: z.number().int().nonnegative(),
  library_digest: z.string().nullable(),
  games: z.record(
    z.string(),
    z.object({
      fingerprint: FingerprintPartsSchema,
      eti_version: z.string().nullable(),
      size: z.number().int().nonnegative(),
      manifest: ManifestSchema,
      manifest_hash: z.string(),
      content_hashes: z.record(z.string(), FileHashesSchema),
    }),
  ),
})

// index-journal.ts
/** One line of index.log: the entries that changed in one save, the IDs removed, the new revision. */
export const JournalRecordSchema = z.object({
  /** The journal_id of the index.json this record builds on. */
  journal_id: z.string().regex(/^[0-9a-f]{16}$/),
  library_epoch: LibraryEpochSchema,
  library_rev: z.number().int().nonnegative(),
  library_digest: z.string().nullable(),
  /** The digest_stamp of library_digest; records of builds before it have none. */
  digest_stamp: z.string().nullable().optional(),
  games: z.record(GameIdSchema, IndexedGameSchema),
  removed: z.array(GameIdSchema),
})
export type JournalRecord = z.infer<typeof JournalRecordSchema>
