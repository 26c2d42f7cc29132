// Library sync between two peers (SPEC §4.3): the serving side answers GetLibrary with
// NotModified, a delta from the caller's revision (same epoch, still in the history) or a
// snapshot; the pulling side asks for the cheapest of these and falls back to a snapshot
// whenever a delta does not apply cleanly. Transport-free: requests go through `ask`.
import {LanspreadError} from '../errors.js'
import type {GameSummary} from '../library/summary.js'
import type {GetLibrary, LibraryDeltaMessage as LibraryDelta, LibrarySnapshot, Message, MessageOf} from '../protocol/messages.js'
import type {LibraryPosition} from '../words/peer-info.js'
import type {RemoteLibrary} from './remote-library.js'
import type {RevisionHistory} from './revision-history.js'

/** The announced state of a library (Hello, LibrarySummary, mDNS TXT): a shared word (src/words/). */
export type {LibraryPosition} from '../words/peer-info.js'

type NotModified = MessageOf<'NotModified'>

/** This peer's library as the sync serves it. */
export interface LocalLibraryView {
  position(): LibraryPosition
  games(): GameSummary[]
  history: RevisionHistory
}

export function answerGetLibrary(view: LocalLibraryView, request: GetLibrary): LibrarySnapshot | LibraryDelta | NotModified {
  const position = view.position()
  const since = request.since
  if (since && since.library_epoch === position.library_epoch) {
    if (since.library_rev === position.library_rev) return {type: 'NotModified'}
    const delta = since.library_rev < position.library_rev ? view.history.since(since.library_rev) : undefined
    if (delta && delta.to_rev === position.library_rev)
      return {type: 'LibraryDelta', library_epoch: position.library_epoch, library_digest: position.library_digest, ...delta}
  }
  return {type: 'LibrarySnapshot', ...position, games: view.games()}
}

/** The delta this peer pushes to others after a local revision (undefined: send a summary instead). */
export function deltaToPush(view: LocalLibraryView, fromRev: number): LibraryDelta | undefined {
  const position = view.position()
  const delta = view.history.since(fromRev)
  if (!delta || delta.to_rev !== position.library_rev) return undefined
  return {type: 'LibraryDelta', library_epoch: position.library_epoch, library_digest: position.library_digest, ...delta}
}

export type PullOutcome = 'current' | 'delta' | 'snapshot'

/**
 * Brings `remote` up to the announced position of a peer: nothing when we hold it already,
 * a delta from the revision we hold when the epoch is the same, a snapshot otherwise.
 */
export async function pullLibrary(
  remote: RemoteLibrary,
  announced: LibraryPosition,
  ask: (request: GetLibrary) => Promise<Message>,
  peer: string,
): Promise<PullOutcome> {
  if (remote.isCurrent(announced.library_epoch, announced.library_digest)) return 'current'
  const held = remote.position
  if (held && held.library_epoch === announced.library_epoch) {
    const reply = await ask({type: 'GetLibrary', since: {library_epoch: held.library_epoch, library_rev: held.library_rev}})
    if (reply.type === 'NotModified') return 'current'
    if (reply.type === 'LibraryDelta' && remote.applyDelta(reply) === 'applied') return 'delta'
    if (reply.type === 'LibrarySnapshot') return applySnapshotOrThrow(remote, reply, peer)
  }
  const reply = await ask({type: 'GetLibrary'})
  if (reply.type !== 'LibrarySnapshot') throw unexpected(peer, reply.type, 'LibrarySnapshot')
  return applySnapshotOrThrow(remote, reply, peer)
}

function applySnapshotOrThrow(remote: RemoteLibrary, snapshot: LibrarySnapshot, peer: string): 'snapshot' | 'current' {
  const outcome = remote.applySnapshot(snapshot)
  if (outcome === 'applied') return 'snapshot'
  if (outcome === 'stale') return 'current'
  throw new LanspreadError('integrity', `peer ${peer} sent a library snapshot whose games do not match its own digest`, {
    hint: 'the peer is broken or hostile; its library is ignored until it sends a consistent one',
  })
}

function unexpected(peer: string, got: string, wanted: string): LanspreadError {
  return new LanspreadError('integrity', `peer ${peer} answered GetLibrary with ${got} instead of ${wanted}`, {
    hint: 'the peer speaks the protocol wrongly; it is tried again later',
  })
}
