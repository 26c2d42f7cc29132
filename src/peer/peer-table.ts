// The peer table: every peer this one knows, keyed by peer_id and never by address. A new
// handshake from a known peer updates its addresses; liveness is `last_seen`, moved by any
// message, and a peer silent past the stale timeout is removed.
import {EventEmitter} from 'node:events'
import {RemoteLibrary} from '../sync/remote-library.js'
import {type PeerAddress, formatAddress} from '../words/address.js'
import type {PeerInfo} from '../words/peer-info.js'

export {type PeerAddress, formatAddress} from '../words/address.js'
export type {PeerInfo} from '../words/peer-info.js'

export interface PeerRecord {
  peer_id: string
  hostname: string | null
  addresses: PeerAddress[]
  proto_ver: number
  features: string[]
  /** The peer's bulk-TLS port, when it announced the feature. */
  bulk_port: number | null
  cert_fingerprint: string
  library: RemoteLibrary
  /** Milliseconds since the epoch of the last message from this peer. */
  last_seen: number
}

export type LossReason = 'goodbye' | 'stale' | 'refused' | 'shutdown'

export interface PeerIntroduction {
  peer_id: string
  hostname: string | null
  address: PeerAddress
  proto_ver: number
  features: string[]
  bulk_port: number | null
  cert_fingerprint: string
}

export interface PeerTableEvents {
  peer_found: [PeerInfo]
  peer_updated: [PeerInfo]
  peer_lost: [PeerInfo & {reason: LossReason}]
}

/** How many addresses of one peer are remembered (newest first). */
const MAX_ADDRESSES = 8

/**
 * Libraries kept of peers that are not connected (until they go stale): a LAN's few peers
 * reconnecting keep theirs; a flood of fresh peer_ids that connect and leave holds no games.
 */
export const MAX_UNCONNECTED_LIBRARIES = 16

export class PeerTable extends EventEmitter<PeerTableEvents> {
  private readonly peers = new Map<string, PeerRecord>()

  constructor(private readonly now: () => number = Date.now) {
    super()
  }

  get(peerId: string): PeerRecord | undefined {
    return this.peers.get(peerId)
  }

  /** The peers known to listen at `address` (a static --peer address matched to who answered there). */
  peersAt(address: PeerAddress): string[] {
    return [...this.peers.values()].filter((record) => record.addresses.some((known) => sameAddress(known, address))).map((record) => record.peer_id)
  }

  records(): PeerRecord[] {
    return [...this.peers.values()]
  }

  list(): PeerInfo[] {
    return this.records()
      .map(describePeer)
      .sort((a, b) => (a.peer_id < b.peer_id ? -1 : 1))
  }

  /** Adds a peer from a handshake, or updates the known one: its newest address goes first. */
  introduce(intro: PeerIntroduction): {record: PeerRecord; isNew: boolean} {
    const known = this.peers.get(intro.peer_id)
    if (known) {
      known.addresses = [intro.address, ...known.addresses.filter((a) => !sameAddress(a, intro.address))].slice(0, MAX_ADDRESSES)
      known.hostname = intro.hostname ?? known.hostname
      known.proto_ver = intro.proto_ver
      known.features = intro.features
      known.bulk_port = intro.bulk_port
      known.last_seen = this.now()
      this.emit('peer_updated', describePeer(known))
      return {record: known, isNew: false}
    }
    const record: PeerRecord = {
      peer_id: intro.peer_id,
      hostname: intro.hostname,
      addresses: [intro.address],
      proto_ver: intro.proto_ver,
      features: intro.features,
      bulk_port: intro.bulk_port,
      cert_fingerprint: intro.cert_fingerprint,
      library: new RemoteLibrary(),
      last_seen: this.now(),
    }
    this.peers.set(intro.peer_id, record)
    this.emit('peer_found', describePeer(record))
    return {record, isNew: true}
  }

  /** Any message from a peer proves it alive. */
  touch(peerId: string): void {
    const record = this.peers.get(peerId)
    if (record) record.last_seen = this.now()
  }

  /** Announces a change of a peer's library (after a snapshot or delta was applied). */
  libraryChanged(peerId: string): void {
    const record = this.peers.get(peerId)
    if (record) this.emit('peer_updated', describePeer(record))
  }

  /**
   * Empties the libraries of the peers not connected beyond the `keep` seen most recently;
   * such a peer's library is pulled again when it reconnects. Returns how many were emptied.
   */
  trimLibraries(keep: number, connected: (peerId: string) => boolean): number {
    const held = this.records().filter((record) => record.library.position !== undefined && !connected(record.peer_id))
    const excess = held.sort((a, b) => b.last_seen - a.last_seen).slice(keep)
    for (const record of excess) {
      record.library = new RemoteLibrary()
      this.emit('peer_updated', describePeer(record))
    }
    return excess.length
  }

  remove(peerId: string, reason: LossReason): boolean {
    const record = this.peers.get(peerId)
    if (!record) return false
    this.peers.delete(peerId)
    this.emit('peer_lost', {...describePeer(record), reason})
    return true
  }

  /** Peers silent for longer than `staleMs`. */
  silentFor(staleMs: number): PeerRecord[] {
    const cutoff = this.now() - staleMs
    return this.records().filter((record) => record.last_seen < cutoff)
  }
}

export function describePeer(record: PeerRecord): PeerInfo {
  const position = record.library.position
  return {
    peer_id: record.peer_id,
    hostname: record.hostname,
    addresses: record.addresses.map(formatAddress),
    proto_ver: record.proto_ver,
    library_rev: position?.library_rev ?? null,
    library_epoch: position?.library_epoch ?? null,
    game_count: record.library.gameCount,
    last_seen: new Date(record.last_seen).toISOString(),
  }
}

function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return a.host === b.host && a.port === b.port
}
