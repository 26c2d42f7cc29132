// The one interface through which the runtime learns where peers are: static `--peer`
// addresses and mDNS. A source reports addresses (and, when it knows them, the peer_id and
// library position it announced); the runtime decides whether to dial.
import type {PeerAddress} from '../words/address.js'
import type {LibraryPosition} from '../words/peer-info.js'
import type {PeerTransports} from '../words/transports.js'

export interface DiscoveredPeer {
  address: PeerAddress
  /** Known from an mDNS TXT record; a static address does not know it. */
  peer_id?: string
  position?: LibraryPosition
  /** The transports it announced (mDNS TXT); a static address does not know them. */
  transports?: PeerTransports
  /** Keep dialling it with backoff while it is down (static peers). */
  persistent: boolean
}

/** What a source may advertise of our library. */
export type AdvertisedLibrary = LibraryPosition & {game_count: number}

/** This peer, as a source that advertises it (mDNS) needs to know it. */
export interface LocalPeer {
  peer_id: string
  /** Its --port: QUIC's UDP port (the portable transport's TCP port is in `transports`). */
  port: number
  transports?: PeerTransports
  hostname: string
  cert_fingerprint: string
  library: AdvertisedLibrary
}

/** Reports a peer to the runtime; true when the runtime is connected to it already. */
export type FoundPeer = (peer: DiscoveredPeer) => boolean | void

export interface DiscoverySource {
  readonly name: string
  start(found: FoundPeer, self?: LocalPeer): Promise<void>
  /** Our library moved (a new local revision). */
  announce?(library: AdvertisedLibrary): void
  /** The runtime removed this peer (stale, goodbye): a source may look for it again. */
  forget?(peerId: string): void
  stop(): Promise<void>
}
