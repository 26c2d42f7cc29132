// The one table from error codes to process exit codes (documented in the README).
import type {ErrorCode} from '../errors.js'

export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  internal: 1,
  usage: 2,
  not_found: 3,
  not_downloaded: 4,
  busy: 5,
  archive_corrupt: 6,
  archive_unsafe: 7,
  invalid_input: 8,
  no_peers: 9,
  integrity: 10,
  io: 11,
  protocol: 12,
}
