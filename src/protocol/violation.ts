// A protocol violation as a LanspreadError: what the peer sent wrong, named after the peer,
// with the same hint everywhere. The stream that carried it is closed (SPEC §4.2).
import {LanspreadError} from '../errors.js'

const HINT = 'check that both peers run the same lanspread version; a peer that keeps sending invalid frames is dropped'

export function protocolViolation(peer: string | undefined, problem: string, cause?: unknown): LanspreadError {
  return new LanspreadError('protocol', `${peerLabel(peer)} sent an invalid frame: ${problem}`, {hint: HINT, cause})
}

export function peerLabel(peer: string | undefined): string {
  return peer === undefined ? 'a peer' : `peer ${peer}`
}

/** A peer's text, safe to put in a log line: no control characters, bounded length. */
export function quoteUntrusted(text: string, maxLength = 80): string {
  const clean = text.replace(/\p{Cc}/gu, '?')
  return JSON.stringify(clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean)
}
