// The bounds of the peer protocol: how large a frame, a chunk, a list or a string from a
// peer may be. A peer is untrusted input (SPEC §4.6), so every list and string has a cap.

/** Largest frame body (the JSON after the 4-byte length), SPEC §4.2. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024

/** Bytes of the big-endian length prefix in front of every frame. */
export const FRAME_PREFIX_BYTES = 4

/** Games in one LibrarySnapshot or GameList, and entries in one LibraryDelta. */
export const MAX_GAMES_PER_MESSAGE = 100_000

/**
 * Most games a peer sends inside its Hello / HelloAck (`games`, ~250 bytes each): a library
 * this small costs less in the handshake than a GetLibrary round trip after it. A larger one
 * is pulled as before. A sender's choice, not a bound on what is received.
 */
export const HANDSHAKE_GAMES_MAX = 256

/**
 * Most games a Hello / HelloAck may carry, received: a stranger's handshake is kept in memory
 * until the peer is dropped, so it is bounded far below a snapshot (room for senders set higher).
 */
export const MAX_HANDSHAKE_GAMES = 4 * HANDSHAKE_GAMES_MAX

/** Files in one GameManifest. */
export const MAX_FILES_PER_MANIFEST = 100_000

/**
 * Most chunks one game may have, so a ChunkMap's bitmap (16 KiB, 21,848 base64 characters) and a
 * chunk index stay bounded. No GameManifest frame can list more: each chunk hash costs at least
 * 67 bytes of its JSON (`"<64 hex>",`), and 131,072 × 67 is over MAX_FRAME_BYTES.
 */
export const MAX_CHUNKS_PER_GAME = 131_072

/**
 * Most chunk indexes in one Have (each at most 7 bytes of JSON: ~29 KB, a small frame). A sender
 * with more verified in one batch (≤ 250 ms: ~75 chunks of 4 MiB at 1.2 GB/s) sends several.
 */
export const MAX_HAVE_CHUNKS = 4096

/** Largest chunk a GetChunk may ask for (and largest chunk size a manifest may declare). */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024

/** Longest relative path, in UTF-16 code units (Linux PATH_MAX). */
export const MAX_PATH_LENGTH = 4096

/** Longest hostname, feature name, epoch and error text a peer may send. */
export const MAX_HOSTNAME_LENGTH = 255
export const MAX_FEATURES = 32
export const MAX_FEATURE_LENGTH = 64
export const MAX_EPOCH_LENGTH = 64
export const MAX_ERROR_CODE_LENGTH = 64
export const MAX_ERROR_MESSAGE_LENGTH = 1024
