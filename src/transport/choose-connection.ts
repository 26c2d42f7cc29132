// "One connection per pair of peers": when two connections reach the same peer_id (both
// dialled at once), both ends must keep the same one without talking about it.
import type {ConnectionDirection} from './endpoint.js'

export interface ConnectionFacts {
  direction: ConnectionDirection
  /** Identical on both ends of a connection (PeerConnection.id). */
  id: string
}

/**
 * The connection to keep of two to one peer. Both ends compute the same answer: keep the
 * one dialled by the peer with the smaller peer_id; of two dialled by the same side (a
 * redial racing an old one), keep the one with the smaller shared ID.
 */
export function chooseConnection<C extends ConnectionFacts>(localPeerId: string, remotePeerId: string, a: C, b: C): C {
  if (a.direction !== b.direction) {
    const keep: ConnectionDirection = localPeerId < remotePeerId ? 'outbound' : 'inbound'
    return a.direction === keep ? a : b
  }
  return a.id <= b.id ? a : b
}
