// What `lanspread peers --json` shows of a peer, and where a library stands: words the peer
// table, discovery and the commands share, kept below all of them. Imports nothing.

/** What `lanspread peers --json` shows of a peer. */
export interface PeerInfo {
  peer_id: string
  hostname: string | null
  addresses: string[]
  proto_ver: number
  library_rev: number | null
  library_epoch: string | null
  game_count: number
  last_seen: string
}

/** Where a library stands: its epoch, its revision within the epoch, and the digest of its games. */
export interface LibraryPosition {
  library_epoch: string
  library_rev: number
  library_digest: string
}
