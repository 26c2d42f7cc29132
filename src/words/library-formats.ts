// The formats of the library's words that both the library's files and the wire check: what a
// game ID, a fingerprint and an epoch look like, and the versions of the files. Imports nothing.

/** A game ID: letters, digits, ".", "_", "-"; 1-128 characters; starts with a letter or digit. */
export const GAME_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
export const GAME_ID_RULE = 'not a valid game ID (letters, digits, ".", "_", "-"; 1-128 characters; starts with a letter or digit)'

/**
 * "<sentinel>/<local>" then "/<archive name>/<stamp>" per archive, sorted by name; a stamp is
 * "<size>@<mtime_ms>", a missing version.ini "-", local/ "L" when it is a directory else "-".
 * A file name cannot hold "/", so the form is unambiguous; a size never starts with "-".
 */
export const FINGERPRINT_PATTERN = /^(?:-|\d+@[^/]+)\/[L-](?:\/[^/]+\/\d+@[^/]+)*$/

/** library_epoch (SPEC §2.2): 128 random bits, hex. */
export const LIBRARY_EPOCH_PATTERN = /^[0-9a-f]{32}$/

/** The version of index.json. */
export const INDEX_VERSION = 3

/** The version of `<state>/games/<id>.json`. */
export const GAME_FILE_VERSION = 1
