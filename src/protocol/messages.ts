// Every message of the peer protocol (SPEC §4.3) as a zod schema, one discriminated union on
// `type`, and the types inferred from them. Unknown fields are stripped, never refused.
import {z} from 'zod'
import {chunkBitmapProblem, MAX_BITMAP_TEXT_LENGTH} from './chunk-map.js'
import {
  ByteCountSchema,
  ChunkIndexSchema,
  ChunkLengthSchema,
  EpochSchema,
  FeaturesSchema,
  GameIdSchema,
  HashSchema,
  HostnameSchema,
  PeerIdSchema,
  PortSchema,
  ProtoVerSchema,
  RevisionSchema,
  WirePathSchema,
} from './fields.js'
import {WireGameSummarySchema} from './game-summary.js'
import {
  MAX_CHUNK_BYTES,
  MAX_CHUNKS_PER_GAME,
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_FILES_PER_MANIFEST,
  MAX_GAMES_PER_MESSAGE,
  MAX_HANDSHAKE_GAMES,
  MAX_HAVE_CHUNKS,
} from './limits.js'
import {checkManifestFiles, checkUniqueChunks, checkUniqueIds} from './message-checks.js'

/** The protocol version this build speaks; a peer with another one is dropped (SPEC §4.3). */
export const PROTOCOL_VERSION = 1

/** The feature a peer announces when it serves chunks over TLS-over-TCP (SPEC §4.5). */
export const FEATURE_BULK_TLS = 'bulk-tls'

/**
 * The peer transports a peer serves (record 0033): `quic` where its native module loads,
 * `portable` (HTTP/2 over TLS, TCP `portable_port`) everywhere. A Hello naming neither comes
 * from a peer older than the portable transport: it speaks QUIC.
 */
export const FEATURE_QUIC = 'quic'
export const FEATURE_PORTABLE = 'portable'

const GameListSchema = z.array(WireGameSummarySchema).max(MAX_GAMES_PER_MESSAGE)

const handshake = {
  peer_id: PeerIdSchema,
  proto_ver: ProtoVerSchema,
  library_rev: RevisionSchema,
  library_epoch: EpochSchema,
  library_digest: HashSchema,
  features: FeaturesSchema,
  /** The QUIC port the sender listens on, so a peer first seen dialling in can be dialled back. */
  listen_port: PortSchema,
  /** The TLS-over-TCP port for chunk bytes, present when `features` holds "bulk-tls". */
  bulk_port: PortSchema.optional(),
  /** The portable transport's TCP port, present when `features` holds "portable". */
  portable_port: PortSchema.optional(),
  hostname: HostnameSchema.optional(),
  /**
   * The sender's games at `library_rev` (its snapshot), sent when the library is small
   * (HANDSHAKE_GAMES_MAX): the receiver takes it if it matches `library_digest` and needs no
   * GetLibrary. Absent: pull as usual. A peer that does not know the field strips it.
   */
  games: z.array(WireGameSummarySchema).max(MAX_HANDSHAKE_GAMES).optional(),
}

const checkHandshakeGames = (message: {games?: {id: string}[] | undefined}, ctx: z.RefinementCtx): void => {
  if (message.games)
    checkUniqueIds(
      message.games.map((game) => game.id),
      ['games'],
      ctx,
    )
}

export const HelloSchema = z.object({type: z.literal('Hello'), ...handshake}).superRefine(checkHandshakeGames)
export const HelloAckSchema = z.object({type: z.literal('HelloAck'), ...handshake}).superRefine(checkHandshakeGames)

export const LibrarySummarySchema = z.object({
  type: z.literal('LibrarySummary'),
  library_rev: RevisionSchema,
  library_epoch: EpochSchema,
  library_digest: HashSchema,
  game_count: z.int().nonnegative(),
})

/**
 * Asks for the library. With `since` (the epoch and revision the caller holds) the answer
 * is a LibraryDelta from that revision, or NotModified when it is current; without it, or
 * when the epoch changed or the history no longer reaches back that far, a LibrarySnapshot.
 */
export const GetLibrarySchema = z.object({
  type: z.literal('GetLibrary'),
  since: z.object({library_epoch: EpochSchema, library_rev: RevisionSchema}).optional(),
})

export const LibrarySnapshotSchema = z
  .object({
    type: z.literal('LibrarySnapshot'),
    library_rev: RevisionSchema,
    library_epoch: EpochSchema,
    library_digest: HashSchema,
    games: GameListSchema,
  })
  .superRefine((message, ctx) =>
    checkUniqueIds(
      message.games.map((game) => game.id),
      ['games'],
      ctx,
    ),
  )

export const LibraryDeltaSchema = z
  .object({
    type: z.literal('LibraryDelta'),
    library_epoch: EpochSchema,
    from_rev: RevisionSchema,
    to_rev: RevisionSchema,
    added: GameListSchema,
    updated: GameListSchema,
    removed: z.array(GameIdSchema).max(MAX_GAMES_PER_MESSAGE),
    /** The sender's digest after the delta: the receiver checks it and takes a snapshot on a mismatch. */
    library_digest: HashSchema,
  })
  .superRefine((message, ctx) => {
    if (message.to_rev <= message.from_rev) ctx.addIssue({code: 'custom', path: ['to_rev'], message: 'must be greater than from_rev'})
    const ids = [...message.added.map((game) => game.id), ...message.updated.map((game) => game.id), ...message.removed]
    if (ids.length > MAX_GAMES_PER_MESSAGE) ctx.addIssue({code: 'custom', path: ['added'], message: `more than ${MAX_GAMES_PER_MESSAGE} games in one delta`})
    checkUniqueIds(ids, ['added'], ctx)
  })

/** The fallback for a peer that does not speak Hello (SPEC §4.3): answered with GameList. */
export const ListGamesSchema = z.object({type: z.literal('ListGames')})
export const GameListMessageSchema = z.object({type: z.literal('GameList'), games: GameListSchema}).superRefine((message, ctx) =>
  checkUniqueIds(
    message.games.map((game) => game.id),
    ['games'],
    ctx,
  ),
)

/** Asks for a game's manifest; `content_hash` is the one the caller already holds, if any. */
export const GetGameSchema = z.object({type: z.literal('GetGame'), id: GameIdSchema, content_hash: HashSchema.optional()})

export const ManifestEntrySchema = z.object({
  path: WirePathSchema,
  size: ByteCountSchema,
  /** BLAKE3 of the chunk hashes in order. */
  hash: HashSchema,
  chunks: z.array(HashSchema),
})

export const GameManifestSchema = z
  .object({
    type: z.literal('GameManifest'),
    id: GameIdSchema,
    manifest_hash: HashSchema,
    /** BLAKE3 over the file hashes in manifest order. */
    content_hash: HashSchema,
    chunk_size: z.int().min(1).max(MAX_CHUNK_BYTES),
    files: z.array(ManifestEntrySchema).max(MAX_FILES_PER_MANIFEST),
  })
  .superRefine((message, ctx) => checkManifestFiles(message.files, message.chunk_size, ctx))

/** The answer to GetGame (the caller's content_hash is current) or to GetLibrary (its revision is). */
export const NotModifiedSchema = z.object({type: z.literal('NotModified')})

export const GetChunkSchema = z.object({
  type: z.literal('GetChunk'),
  id: GameIdSchema,
  manifest_hash: HashSchema,
  path: WirePathSchema,
  offset: ByteCountSchema,
  length: ChunkLengthSchema,
})

/** Sent before a chunk's bytes: exactly `length` raw bytes follow it on the stream. */
export const ChunkHeaderSchema = z.object({type: z.literal('ChunkHeader'), hash: HashSchema, length: ChunkLengthSchema})

/**
 * Asks which chunks of a game being downloaded (as `content_hash`) the peer verified: answered
 * with ChunkMap (SPEC §5.1), and the peer announces its new chunks with Haves from then on. With
 * `subscribe`, the Haves come down this same stream after the ChunkMap until either end closes it
 * (record 0038); a peer that predates it ignores the field, ends the stream, and sends each Have
 * on a stream of its own.
 */
export const GetChunkMapSchema = z.object({type: z.literal('GetChunkMap'), id: GameIdSchema, content_hash: HashSchema, subscribe: z.boolean().optional()})

/**
 * The chunks a peer verified and wrote, as base64 of a bit array, LSB first (chunk-map.ts):
 * exactly ceil(chunk_count / 8) bytes, no bit set past chunk_count. The receiver checks that
 * chunk_count is its manifest's.
 */
export const ChunkMapSchema = z
  .object({
    type: z.literal('ChunkMap'),
    id: GameIdSchema,
    content_hash: HashSchema,
    chunk_count: z.int().min(0).max(MAX_CHUNKS_PER_GAME),
    bitmap: z.string().max(MAX_BITMAP_TEXT_LENGTH),
  })
  .superRefine((message, ctx) => {
    const problem = chunkBitmapProblem(message.bitmap, message.chunk_count)
    if (problem !== undefined) ctx.addIssue({code: 'custom', path: ['bitmap'], message: problem})
  })

/**
 * Chunks the sender verified and wrote since its last Have or ChunkMap, batched over ≤ 250 ms
 * (SPEC §5.1). Indexes are unique; the receiver checks them against its manifest's chunk count.
 */
export const HaveSchema = z
  .object({
    type: z.literal('Have'),
    id: GameIdSchema,
    content_hash: HashSchema,
    chunks: z.array(ChunkIndexSchema).min(1).max(MAX_HAVE_CHUNKS),
  })
  .superRefine((message, ctx) => checkUniqueChunks(message.chunks, ['chunks'], ctx))

export const PingSchema = z.object({type: z.literal('Ping')})
export const PongSchema = z.object({type: z.literal('Pong')})
export const GoodbyeSchema = z.object({type: z.literal('Goodbye'), peer_id: PeerIdSchema})

/** A refusal. `code` is a wire error code (wire-errors.ts); unknown codes from newer peers are kept. */
export const ErrorMessageSchema = z.object({
  type: z.literal('Error'),
  code: z.string().min(1).max(MAX_ERROR_CODE_LENGTH),
  message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
})

export const MessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  HelloAckSchema,
  LibrarySummarySchema,
  GetLibrarySchema,
  LibrarySnapshotSchema,
  LibraryDeltaSchema,
  ListGamesSchema,
  GameListMessageSchema,
  GetGameSchema,
  GameManifestSchema,
  NotModifiedSchema,
  GetChunkSchema,
  ChunkHeaderSchema,
  GetChunkMapSchema,
  ChunkMapSchema,
  HaveSchema,
  PingSchema,
  PongSchema,
  GoodbyeSchema,
  ErrorMessageSchema,
])

export type Message = z.infer<typeof MessageSchema>
export type MessageType = Message['type']
export type MessageOf<T extends MessageType> = Extract<Message, {type: T}>

export type Hello = MessageOf<'Hello'>
export type HelloAck = MessageOf<'HelloAck'>
export type LibrarySummary = MessageOf<'LibrarySummary'>
export type GetLibrary = MessageOf<'GetLibrary'>
export type LibrarySnapshot = MessageOf<'LibrarySnapshot'>
export type LibraryDeltaMessage = MessageOf<'LibraryDelta'>
export type GameList = MessageOf<'GameList'>
export type GetGame = MessageOf<'GetGame'>
export type GameManifest = MessageOf<'GameManifest'>
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>
export type GetChunk = MessageOf<'GetChunk'>
export type ChunkHeader = MessageOf<'ChunkHeader'>
export type GetChunkMap = MessageOf<'GetChunkMap'>
export type ChunkMap = MessageOf<'ChunkMap'>
export type Have = MessageOf<'Have'>
export type Goodbye = MessageOf<'Goodbye'>
export type ErrorMessage = MessageOf<'Error'>

export const MESSAGE_TYPES: ReadonlySet<string> = new Set(MessageSchema.options.map((option) => option.shape.type.value))
