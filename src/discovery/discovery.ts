// The one interface through which the runtime learns where peers are: static `--peer`
// addresses now, mDNS later. A source reports addresses (and, when it knows them, the peer_id
// and library position it announced); the runtime decides whether to dial.
import type {PeerAddress} from '../peer/peer-table.js'
import type {LibraryPosition} from '../sync/library-sync.js'

export interface DiscoveredPeer {
  address: PeerAddress
  /** Known from an mDNS TXT record; a static address does not know it. */
  peer_id?: string
  position?: LibraryPosition
  /** Keep dialling it with backoff while it is down (static peers). */
  persistent: boolean
}

export interface DiscoverySource {
  readonly name: string
  start(found: (peer: DiscoveredPeer) => void): Promise<void>
  stop(): Promise<void>
}
