// The errors both implementations of the API give alike: serve is not running where a call
// needs it, and too few peers were found.
import type {LanspreadPaths} from '../config.js'
import {LanspreadError} from '../errors.js'

/** What `status` (and the other calls only serve answers) say without serve: exit 14. */
export function notRunning(paths: Pick<LanspreadPaths, 'stateDir'>): LanspreadError {
  return new LanspreadError('not_running', `lanspread serve is not running for ${paths.stateDir}`, {
    hint: 'start it with `lanspread serve` (or your service manager: see "Running serve as a service" in the README)',
  })
}

/** What a call that needs the running serve's peers (peers without mDNS, library --peers) says without one. */
export function serveNotRunning(paths: Pick<LanspreadPaths, 'stateDir'>): LanspreadError {
  return new LanspreadError('no_peers', `no peers known: lanspread serve is not running for ${paths.stateDir}`, {
    hint: 'start `lanspread serve` (with --peer HOST:PORT for each other machine); it finds the peers and their games',
  })
}

/** Fewer peers than expected, `where` saying where they were looked for. */
export function tooFewPeers(found: number, expected: number, where: string): LanspreadError {
  return new LanspreadError('no_peers', `found ${found} peer${found === 1 ? '' : 's'}, expected at least ${expected}, ${where}`, {
    hint: 'check that the other machines run `lanspread serve` on this network (same subnet, multicast not blocked), or wait longer with --wait',
  })
}
