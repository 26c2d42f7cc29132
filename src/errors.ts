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

/** Wraps an unexpected filesystem error so its message names the path and the action. */
export function ioError(action: string, path: string, cause: unknown): LanspreadError {
  const reason = errnoCode(cause) ?? errorMessage(cause)
  const hint =
    reason === 'EACCES' || reason === 'EPERM'
      ? 'check the permissions of that path (lanspread needs to read and write it)'
      : reason === 'ENOSPC'
        ? 'free some disk space and run the command again'
        : 'check that the path exists and is readable, then run the command again'
  return new LanspreadError('io', `could not ${action} ${path}: ${reason}`, {hint, cause})
}
