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

/**
 * Two connections to one peer from opposite ends admitted this close together are dials that
 * crossed, not a replacement: the other side dials only after waiting one request timeout for
 * our dial (the Dialer), and a dial may take up to one request timeout more, so crossings land
 * within twice that (plus the dialer's jitter). A fixed 2 s window split crossings under load
 * differently at the two ends, which then closed both connections. The cost: a peer that
 * crashed and restarted within this window of connecting waits for it to pass.
 */
export function crossingWindowMs(requestTimeoutMs: number): number {
  return 2 * requestTimeoutMs + 1000
}

/**
 * Of the connection held to a peer and a new one: only dials crossing each other (opposite
 * directions, within the window) are a race, settled by chooseConnection; the same side
 * dialling again means its old connection is gone for it (a restart, a crash), and both ends
 * see the same order, so the new one replaces the old.
 */
export function connectionToKeep<C extends ConnectionFacts>(
  localPeerId: string,
  remotePeerId: string,
  pair: {existing: C; incoming: C; existingAgeMs: number},
  windowMs: number,
): C {
  const {existing, incoming, existingAgeMs} = pair
  if (existing.direction === incoming.direction || existingAgeMs > windowMs) return incoming
  return chooseConnection(localPeerId, remotePeerId, existing, incoming)
}
