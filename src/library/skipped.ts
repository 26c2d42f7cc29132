// Why a game folder was skipped, in words a user understands ("permission denied"), not
// an errno. A scan reports each skipped game with this reason and carries on.
import {LanspreadError, errnoCode, errorMessage} from '../errors.js'

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EROFS: 'read-only file system',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a folder',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  ENAMETOOLONG: 'a file name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  ESTALE: 'stale network file handle',
}

/** An errno code in words, when it has some. */
export function errnoWords(code: string | undefined): string | undefined {
  return code === undefined ? undefined : REASONS[code]
}

/** The errno of the failure (or of the system error inside a LanspreadError) in words, with the path it hit. */
export function describeFailure(error: unknown): string {
  const system = error instanceof LanspreadError ? error.cause : error
  const code = errnoCode(system)
  const words = errnoWords(code)
  if (!words) return errorMessage(error)
  const where = (system as {path?: unknown}).path
  return typeof where === 'string' ? `${words} (${where})` : words
}
