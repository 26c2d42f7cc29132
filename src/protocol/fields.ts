// The field types messages share: hashes, revisions, epochs, ports and relative paths, each
// bounded, so a message schema reads as a list of named fields.
import {z} from 'zod'
import {isReservedName} from '../words/game-folder-names.js'
import {GAME_ID_PATTERN, GAME_ID_RULE} from '../words/library-formats.js'
import {MAX_CHUNK_BYTES, MAX_CHUNKS_PER_GAME, MAX_EPOCH_LENGTH, MAX_FEATURE_LENGTH, MAX_FEATURES, MAX_HOSTNAME_LENGTH, MAX_PATH_LENGTH} from './limits.js'

/** A BLAKE3 (or SHA-256) digest as 64 lower-case hex digits. */
export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits')

export const PeerIdSchema = z.uuid()

/** A game ID on the wire: the library's format (src/words/library-formats.ts). */
export const GameIdSchema = z.string().regex(GAME_ID_PATTERN, GAME_ID_RULE)

/** library_rev and other counters: a non-negative safe integer. */
export const RevisionSchema = z.int().nonnegative()

/** The random ID of an index's lifetime (SPEC §2.2); its format belongs to the index. */
export const EpochSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-"')
  .max(MAX_EPOCH_LENGTH)

export const PortSchema = z.int().min(1).max(65_535)

export const ProtoVerSchema = z.int().min(1)

export const HostnameSchema = z
  .string()
  .min(1)
  .max(MAX_HOSTNAME_LENGTH)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters')

/** Unknown features are kept (a newer peer may announce more); each one is a short word. */
export const FeaturesSchema = z
  .array(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lower-case feature name')
      .max(MAX_FEATURE_LENGTH),
  )
  .max(MAX_FEATURES)

/** A byte count of one chunk: at least 1, at most 16 MiB. */
export const ChunkLengthSchema = z.int().min(1).max(MAX_CHUNK_BYTES)

/** A chunk's place in its game: the index of its hash in the manifest's files in order (chunk-map.ts). */
export const ChunkIndexSchema = z
  .int()
  .min(0)
  .max(MAX_CHUNKS_PER_GAME - 1)

/** A file offset or size: a non-negative safe integer. */
export const ByteCountSchema = z.int().nonnegative()

/**
 * A payload path inside a game root as a manifest spells it: relative POSIX, no empty,
 * "." or ".." segment, no NUL, and not under a reserved root name (local/, scratch, the
 * intent log), so no path from a peer can point outside the payload (SPEC §4.6).
 */
export const WirePathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .superRefine((value, ctx) => {
    const problem = wirePathProblem(value)
    if (problem) ctx.addIssue({code: 'custom', message: problem})
  })

export function wirePathProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'must not contain NUL'
  if (value.startsWith('/')) return 'must be relative (no leading "/")'
  const segments = value.split('/')
  if (segments.some((segment) => segment === '')) return 'must not contain empty segments ("//" or a trailing "/")'
  if (segments.some((segment) => segment === '.' || segment === '..')) return 'must not contain "." or ".." segments'
  if (isReservedName(segments[0] ?? '')) return `must not be under the reserved name "${segments[0]}"`
  return undefined
}
