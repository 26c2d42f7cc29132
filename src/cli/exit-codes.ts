// The one table from error codes to process exit codes and what each means; the README's
// table and the top-level help are written from it.
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
  address_unavailable: 13,
  not_running: 14,
  interrupted: 130,
  terminated: 143,
}

export const EXIT_CODE_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  internal: 'internal error (a bug: run again with LANSPREAD_DEBUG=1 and report it)',
  usage: 'usage error: unknown command or flag, missing or bad argument',
  not_found: 'not found: no such game, or no games folder',
  not_downloaded: 'the game is not downloaded (no version.ini)',
  busy: 'busy: another operation runs on that game',
  archive_corrupt: 'corrupt or unsupported archive',
  archive_unsafe: 'unsafe archive (an entry would land outside the install)',
  invalid_input: 'invalid input file: missing or invalid catalog, broken peer.json',
  no_peers: 'no peers',
  integrity: 'integrity failure (a file changed while it was read, a hash mismatch)',
  protocol: 'protocol error: a peer sent a frame that is not valid (too large, truncated, not JSON, wrong fields)',
  address_unavailable: "cannot listen: the port is in use by another program, or the address is not one of this machine's",
  not_running: 'lanspread serve is not running (`lanspread status`)',
  io: 'filesystem error (permission denied, read-only file system, disk full, …)',
  interrupted: 'interrupted by Ctrl-C (SIGINT); the game is repaired by the next operation or `lanspread recover`',
  terminated: 'terminated by SIGTERM; the game is repaired by the next operation or `lanspread recover`',
}

/** The exit-code table as rows (0 first), sorted by exit code. */
export function exitCodeRows(): [number, string][] {
  const rows = (Object.keys(EXIT_CODES) as ErrorCode[]).map((code): [number, string] => [EXIT_CODES[code], `${EXIT_CODE_MEANINGS[code]} [${code}]`])
  return [[0, 'success'], ...rows.sort((a, b) => a[0] - b[0])]
}
