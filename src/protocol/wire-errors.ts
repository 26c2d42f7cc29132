// The one table between LanspreadError codes and the codes of the wire `Error` message, both
// ways. Wire codes are a contract with other versions, so they are spelled apart from ours.
import {type ErrorCode, LanspreadError} from '../errors.js'
import {MAX_ERROR_MESSAGE_LENGTH} from './limits.js'
import type {ErrorMessage} from './messages.js'
import {peerLabel, quoteUntrusted} from './violation.js'

export const WIRE_ERROR_CODES = ['bad_frame', 'bad_request', 'not_found', 'not_available', 'busy', 'integrity', 'io', 'internal'] as const
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number]

interface Row {
  wire: WireErrorCode
  /** False for codes that never leave a peer (CLI and local operations): they travel as `internal`. */
  travels: boolean
}

export const WIRE_ERROR_TABLE: Readonly<Record<ErrorCode, Row>> = {
  protocol: {wire: 'bad_frame', travels: true},
  invalid_input: {wire: 'bad_request', travels: true},
  not_found: {wire: 'not_found', travels: true},
  not_downloaded: {wire: 'not_available', travels: true},
  busy: {wire: 'busy', travels: true},
  integrity: {wire: 'integrity', travels: true},
  io: {wire: 'io', travels: true},
  internal: {wire: 'internal', travels: true},
  usage: {wire: 'internal', travels: false},
  no_peers: {wire: 'internal', travels: false},
  archive_corrupt: {wire: 'internal', travels: false},
  archive_unsafe: {wire: 'internal', travels: false},
  interrupted: {wire: 'internal', travels: false},
  terminated: {wire: 'internal', travels: false},
  address_unavailable: {wire: 'internal', travels: false},
  not_running: {wire: 'internal', travels: false},
}

const FROM_WIRE: ReadonlyMap<string, ErrorCode> = new Map(
  (Object.entries(WIRE_ERROR_TABLE) as [ErrorCode, Row][]).filter(([, row]) => row.travels).map(([code, row]) => [row.wire, code]),
)

/** The Error message that answers a request which failed with `error`. */
export function toWireError(error: unknown): ErrorMessage {
  if (!(error instanceof LanspreadError)) return {type: 'Error', code: 'internal', message: 'internal error'}
  return {type: 'Error', code: WIRE_ERROR_TABLE[error.code].wire, message: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}
}

/** A peer's Error message as a local error; a code we do not know (a newer peer) is `internal`. */
export function fromWireError(message: ErrorMessage, peer?: string): LanspreadError {
  const code = FROM_WIRE.get(message.code) ?? 'internal'
  return new LanspreadError(code, `${peerLabel(peer)} answered ${quoteUntrusted(message.code, 64)}: ${quoteUntrusted(message.message, 512)}`, {
    hint: 'the request failed on the other peer; lanspread tries another source or asks again later',
  })
}

export function localCodeOf(wire: string): ErrorCode {
  return FROM_WIRE.get(wire) ?? 'internal'
}
