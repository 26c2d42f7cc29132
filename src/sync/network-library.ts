// The library of the whole network as `library --peers` shows it: every game that this peer
// or any known peer has, which peers have it, and which versions they offer. Pure: it reads
// the libraries sync holds of the peers, and knows no runtime.
import {compareCodeUnits} from '../library/fingerprint.js'
import type {GameId} from '../library/layout.js'
import type {GameSummary} from '../library/summary.js'
import type {RemoteLibrary} from './remote-library.js'

/** A peer as the network library reads it: its peer_id and the library we hold of it (a PeerRecord fits). */
export interface LibraryHolder {
  peer_id: string
  library: Pick<RemoteLibrary, 'list'>
}

export interface NetworkGame {
  id: GameId
  name: string
  /** Peers whose library lists the game. */
  peers: string[]
  /** eti_version → the peers that have the game downloaded at that version. */
  versions: Record<string, string[]>
  /** Peers downloading the game now: they serve the chunks they verified (swarming). */
  downloading: string[]
  local: GameSummary | null
}

export function networkLibrary(local: readonly GameSummary[], peers: readonly LibraryHolder[], only?: GameId): NetworkGame[] {
  const games = new Map<GameId, NetworkGame>()
  const entry = (summary: GameSummary): NetworkGame => {
    let game = games.get(summary.id)
    if (!game) {
      game = {id: summary.id, name: summary.name, peers: [], versions: {}, downloading: [], local: null}
      games.set(summary.id, game)
    }
    return game
  }
  for (const summary of local) {
    if (only === undefined || summary.id === only) entry(summary).local = summary
  }
  const sortedPeers = [...peers].sort((a, b) => compareCodeUnits(a.peer_id, b.peer_id))
  for (const peer of sortedPeers) {
    for (const summary of peer.library.list()) {
      if (only !== undefined && summary.id !== only) continue
      const game = entry(summary)
      game.peers.push(peer.peer_id)
      if (summary.downloaded && summary.eti_version !== null) (game.versions[summary.eti_version] ??= []).push(peer.peer_id)
      if (summary.availability === 'downloading') game.downloading.push(peer.peer_id)
    }
  }
  return [...games.values()].sort((a, b) => compareCodeUnits(a.id, b.id))
}
