// The one error type of lanspread: a code from a closed set, a message that names the
// file, game or peer, and a hint that says what to do. The CLI maps codes to exit codes.

export const ERROR_CODES = [
  'usage',
  'not_found',
  'not_downloaded',
  'busy',
  'archive_corrupt',
  'archive_unsafe',
  'invalid_input',
  'no_peers',
  'integrity',
  'io',
  'protocol',
  'address_unavailable',
  'not_running',
  'interrupted',
  'terminated',
  'internal',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface LanspreadErrorOptions {
  hint?: string
  cause?: unknown
}

export class LanspreadError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined

  constructor(code: ErrorCode, message: string, options: LanspreadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'LanspreadError'
    this.code = code
    this.hint = options.hint
  }
}

export function isLanspreadError(error: unknown, code?: ErrorCode): error is LanspreadError {
  return error instanceof LanspreadError && (code === undefined || error.code === code)
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A Node.js system error code (ENOENT, EEXIST, ...) or undefined. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  const {code} = error as {code: unknown}
  return typeof code === 'string' ? code : undefined
}

/** What a system error code means, in words (the code itself follows in parentheses). */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'it does not exist',
  EEXIST: 'something already exists there',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EXDEV: 'it is on another file system',
  EBUSY: 'it is in use by another program',
  ETXTBSY: 'it is in use by a running program',
}

const ERRNO_HINTS: Readonly<Record<string, string>> = {
  EACCES: 'give your user read and write access to that path (or run lanspread as the user who owns the games folder)',
  EPERM: 'give your user read and write access to that path (or run lanspread as the user who owns the games folder)',
  EROFS: "mount that file system read-write, then run the command again (only a path in lanspread's state folder can move elsewhere, with --state-dir PATH)",
  ENOSPC: 'free some disk space, then run the command again',
  EDQUOT: 'free some space within your disk quota, then run the command again',
  ENOTDIR: 'a file stands where a folder is expected: move it away, then run the command again',
  EISDIR: 'a folder stands where a file is expected: move it away, then run the command again',
  ENOENT: 'check that the path exists, then run the command again',
  EEXIST: 'move what is in the way out of the game folder, then run the command again',
  EMFILE: 'raise the open-file limit (ulimit -n), then run the command again',
  ENFILE: "close other programs or raise the system's open-file limit, then run the command again",
  EIO: 'check the disk (dmesg, SMART) and its cable, then run the command again',
  ELOOP: 'fix or remove the looping symbolic link, then run the command again',
  ENAMETOOLONG: 'move the games folder to a shorter path, then run the command again',
  EBUSY: 'close the program that uses it, then run the command again',
  ETXTBSY: 'close the program that uses it, then run the command again',
}

const GENERIC_HINT = 'check that the path exists and is readable, then run the command again'

/** "permission denied (EACCES)" for a system error, else the error's message. */
export function describeIoError(cause: unknown): string {
  const code = errnoCode(cause)
  if (code === undefined) return errorMessage(cause)
  const words = ERRNO_WORDS[code]
  return words === undefined ? `${errorMessage(cause)}` : `${words} (${code})`
}

/** Wraps an unexpected filesystem error so its message names the path and the action, and says what went wrong in words. */
export function ioError(action: string, path: string, cause: unknown, options: {hint?: string} = {}): LanspreadError {
  const code = errnoCode(cause)
  const hint = options.hint ?? (code === undefined ? undefined : ERRNO_HINTS[code]) ?? GENERIC_HINT
  return new LanspreadError('io', `could not ${action} ${path}: ${describeIoError(cause)}`, {hint, cause})
}

/** What to do when a game's files are missing or damaged: one place, so every hint names the same command. */
export function getGameAgainHint(id: string, what = 'the game'): string {
  return `download ${what} again: run \`lanspread fetch ${id}\` (it fetches the game folder ${id}/ from the peers that have it)`
}
