// Opens this machine's local state: the peer identity (created on first use) and the
// library with its index. The one entry point commands and the peer runtime use.
import type {LanspreadPaths} from '../config.js'
import {type PeerIdentity, loadOrCreatePeerIdentity} from './identity.js'
import {Library, type LibraryComponents} from './library.js'

export interface LocalState {
  identity: PeerIdentity
  library: Library
}

export async function openLocalState(paths: LanspreadPaths, components: LibraryComponents = {}): Promise<LocalState> {
  const library = await Library.open(paths, components)
  // Creates the state folder on first use, as the index lock does.
  const identity = await loadOrCreatePeerIdentity(paths.peerPath)
  return {identity, library}
}
