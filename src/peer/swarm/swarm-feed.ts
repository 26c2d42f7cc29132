// Keeps a running download's sources in step with the peers (SPEC §5.1): a connected peer whose
// library says it downloads the same content_hash joins as a partial source (its ChunkMap, then
// its Haves), one that shows the game ready with the same manifest joins as a seed (a partial
// one turning ready becomes one), and a source whose peer is lost, whose connection closes or
// whose library stops offering that content leaves (its requests go to the others).
import type {SourceKind, SwarmSources} from '../../download/chunk-scheduler.js'
import type {GameSource} from '../../download/game-source.js'
import {errorMessage} from '../../errors.js'
import type {GameId} from '../../library/layout.js'
import type {GameSummary} from '../../library/summary.js'
import type {Message} from '../../protocol/messages.js'
import {chunkIndexes, decodeChunkBitmap} from '../../protocol/chunk-map.js'
import {protocolViolation} from '../../protocol/violation.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import type {PeerLibraryChanged} from '../library-sync/sync.js'
import {type Subscription, subscribe} from '../messaging.js'
import type {PeerInfo, PeerRecord} from '../peer-table.js'
import type {FetchRuntime} from '../runtime-view.js'
import {doublingDelay} from '../../util/doubling-delay.js'
import type {RunningDownload} from './running-downloads.js'

/** Sources one download takes at most: a LAN party's peers, not a flood of fresh peer_ids. */
export const MAX_SWARM_SOURCES = 32

/**
 * A peer publishes `downloading` when it takes the game's lock, and answers GetChunkMap once
 * its plan is made (its chunks on disk checked), holding the request meanwhile for up to
 * PLAN_WAIT_MS (running-downloads.ts): fetchers that start together meet at once. A large
 * resumed game takes longer: that refusal is asked again after 250 ms, doubling up to 4 s, for
 * about a minute in all.
 */
const JOIN_RETRY_FIRST_MS = 250
const JOIN_RETRY_MAX_MS = 4_000
const JOIN_ATTEMPTS = 20

export interface SwarmFeedParts {
  runtime: FetchRuntime
  id: GameId
  download: RunningDownload
  swarm: SwarmSources
  /** The sources the download started with (its seeds), by peer. */
  started: ReadonlyMap<string, GameSource>
  /** Only this peer (fetch --from). */
  from?: string
  /** A source over the best data plane to a connected peer; the caller closes every one when the fetch ends. */
  sourceFor(record: PeerRecord): GameSource | undefined
}

interface Member {
  source: GameSource
  kind: SourceKind
  /** A partial peer's Haves, pushed on its GetChunkMap stream (record 0038). */
  subscription?: Subscription
}

export class SwarmFeed {
  private readonly members = new Map<string, Member>()
  /** Peers being asked for their map or manifest, and the Haves they sent meanwhile (a set: at most the game's chunks). */
  private readonly joining = new Map<string, Set<number>>()
  private stopped = false
  private readonly onLibrary = (event: PeerLibraryChanged): void => this.consider(event.peer_id)
  private readonly onLost = (peer: PeerInfo): void => this.leave(peer.peer_id)

  constructor(private readonly parts: SwarmFeedParts) {}

  private get content(): string {
    return this.parts.download.view.manifest.content_hash
  }

  start(): void {
    const {runtime, swarm, download, started} = this.parts
    for (const [peerId, source] of started) {
      const kind = swarm.kindOf(peerId)
      if (kind === undefined) continue
      this.members.set(peerId, {source, kind})
      this.leaveWhenClosed(peerId, source, runtime.sessions.connectionOf(peerId))
    }
    download.onHave((peerId, chunks) => this.have(peerId, chunks))
    runtime.sessions.on('peer_library_changed', this.onLibrary)
    runtime.table.on('peer_lost', this.onLost)
    for (const record of runtime.table.records()) this.consider(record.peer_id)
  }

  stop(): void {
    this.stopped = true
    for (const member of this.members.values()) member.subscription?.cancel()
    this.parts.runtime.sessions.off('peer_library_changed', this.onLibrary)
    this.parts.runtime.table.off('peer_lost', this.onLost)
  }

  private have(peerId: string, chunks: readonly number[]): void {
    const pending = this.joining.get(peerId)
    if (pending !== undefined) for (const chunk of chunks) pending.add(chunk)
    else if (this.members.get(peerId)?.kind === 'partial') this.parts.swarm.have(peerId, chunks)
  }

  /** A peer's library changed (or we look at it first): join, upgrade to a seed, or leave. */
  private consider(peerId: string): void {
    const {runtime, swarm, from, id} = this.parts
    if (this.stopped || (from !== undefined && peerId !== from) || this.joining.has(peerId)) return
    const record = runtime.table.get(peerId)
    const offer = this.offerOf(record?.library.get(id))
    const member = this.members.get(peerId)
    if (member !== undefined) {
      if (offer === undefined) this.leave(peerId)
      else if (offer === 'seed' && member.kind === 'partial') {
        member.kind = 'seed'
        swarm.join(member.source, 'seed')
      }
      return
    }
    if (record === undefined || offer === undefined || swarm.isDropped(peerId)) return
    if (this.members.size + this.joining.size >= MAX_SWARM_SOURCES) return
    void this.add(record, offer)
  }

  /** What a peer's summary of the game offers this download: a partial copy of our content, the whole of our manifest, or nothing. */
  private offerOf(summary: GameSummary | undefined): SourceKind | undefined {
    if (summary?.availability === 'downloading' && summary.content_hash === this.content) return 'partial'
    if (summary?.availability === 'ready' && summary.manifest_hash === this.parts.download.view.manifest.manifest_hash) return 'seed'
    return undefined
  }

  private async add(record: PeerRecord, offer: SourceKind, attempt = 1): Promise<void> {
    const {runtime, swarm} = this.parts
    const peerId = record.peer_id
    const connection = runtime.sessions.connectionOf(peerId)
    const source = connection === undefined ? undefined : this.parts.sourceFor(record)
    if (connection === undefined || source === undefined) {
      // No connection this moment (one being replaced): nothing else would bring this peer back
      // before its next library change, which may be the end of its download.
      if (attempt < JOIN_ATTEMPTS) this.rejoinLater(peerId, attempt)
      return
    }
    const pending = new Set<number>()
    this.joining.set(peerId, pending)
    let subscription: Subscription | undefined
    try {
      let have: number[] | undefined
      if (offer === 'partial') ({have, subscription} = await this.subscribeTo(connection, peerId))
      else have = await this.sameContent(source)
      if (this.stopped || have === undefined) return void subscription?.cancel()
      if (!swarm.join(source, offer, offer === 'partial' ? [...have, ...pending] : [])) {
        subscription?.cancel()
        return void source.close?.()
      }
      this.members.set(peerId, {source, kind: offer, ...(subscription === undefined ? {} : {subscription})})
      this.leaveWhenClosed(peerId, source, connection)
      runtime.log('info', `peer ${peerId} joined the download of game ${this.parts.id} as a ${offer === 'partial' ? 'partial peer' : 'seed'}`)
    } catch (error) {
      subscription?.cancel()
      void source.close?.()
      if (attempt < JOIN_ATTEMPTS && offer === 'partial') {
        this.joining.delete(peerId)
        this.rejoinLater(peerId, attempt)
        return
      }
      runtime.log('warn', `peer ${peerId} could not join the download of game ${this.parts.id}: ${errorMessage(error)}`)
    } finally {
      this.joining.delete(peerId)
    }
    // Its library may have changed while we asked.
    if (this.members.has(peerId)) this.consider(peerId)
  }

  /**
   * The chunks a partial peer verified, and its Haves from then on, pushed down the same stream
   * (a peer that predates that ends the stream and sends each Have on a stream of its own).
   */
  private async subscribeTo(connection: PeerConnection, peerId: string): Promise<{have: number[]; subscription: Subscription}> {
    const {id, download, runtime} = this.parts
    const request = {type: 'GetChunkMap' as const, id, content_hash: this.content, subscribe: true}
    const subscription = await subscribe(connection, request, {
      timeoutMs: runtime.settings.requestTimeoutMs,
      peer: peerId,
      onFrame: (frame) => {
        if (frame.type !== 'Have') throw protocolViolation(peerId, `sent ${frame.type} among its Haves`)
        download.have(frame, peerId)
      },
      onEnd: (ended, error) => this.feedEnded(peerId, ended, error),
    })
    try {
      return {have: this.mapIndexes(subscription.reply, peerId), subscription}
    } catch (error) {
      subscription.cancel()
      throw error
    }
  }

  /** The chunks a ChunkMap reply lists, once it is the map of our content. */
  private mapIndexes(reply: Message, peerId: string): number[] {
    const {id, download} = this.parts
    if (reply.type !== 'ChunkMap') throw protocolViolation(peerId, `answered GetChunkMap with ${reply.type}`)
    if (reply.id !== id || reply.content_hash !== this.content || reply.chunk_count !== download.view.chunkCount) {
      throw protocolViolation(peerId, `answered GetChunkMap of game ${id} with the map of other content (${reply.chunk_count} chunks)`)
    }
    return chunkIndexes(decodeChunkBitmap(reply.bitmap, reply.chunk_count, peerId))
  }

  /**
   * A partial peer's Haves stopped. Cleanly: its download ended (its library says how next) or
   * it predates subscriptions. Broken (a bad frame, a reset): it leaves and is asked again.
   */
  private feedEnded(peerId: string, subscription: Subscription, error: unknown): void {
    // One that ends before its member is stored, or after a newer one replaced it, changes nothing.
    if (error === undefined || this.stopped || this.members.get(peerId)?.subscription !== subscription) return
    this.leave(peerId)
    this.parts.runtime.log('info', `peer ${peerId} left the download of game ${this.parts.id}: its Haves stopped (${errorMessage(error)})`)
    this.rejoinLater(peerId, 1)
  }

  /** A ready peer new to this download: a seed only if it holds our very content (NotModified to our content_hash). */
  private async sameContent(source: GameSource): Promise<number[] | undefined> {
    const answer = await source.getGame(this.parts.id, this.content)
    const {manifest} = this.parts.download.view
    if (answer === 'not_modified' || (answer.content_hash === manifest.content_hash && answer.manifest_hash === manifest.manifest_hash)) return []
    return undefined
  }

  /**
   * A member whose connection closes leaves; if its peer still offers the content (its connection
   * was replaced by a new handshake, say), it joins again over the next one.
   */
  private leaveWhenClosed(peerId: string, source: GameSource, connection: PeerConnection | undefined): void {
    void connection?.closed.then(() => {
      if (this.members.get(peerId)?.source !== source) return
      this.leave(peerId)
      this.parts.runtime.log('info', `peer ${peerId} left the download of game ${this.parts.id}: its connection closed`)
      this.rejoinLater(peerId, 1)
    })
  }

  /**
   * Joins a peer again after `failures` tries that failed (refused, no connection, a broken
   * feed): once it has a connection, if it still offers the content. Waits 250 ms, doubling.
   */
  private rejoinLater(peerId: string, failures: number): void {
    const timer = setTimeout(
      () => {
        if (this.stopped || this.members.has(peerId) || this.joining.has(peerId) || this.parts.swarm.isDropped(peerId)) return
        const record = this.parts.runtime.table.get(peerId)
        const offer = this.offerOf(record?.library.get(this.parts.id))
        if (record === undefined || offer === undefined || this.members.size + this.joining.size >= MAX_SWARM_SOURCES) return
        if (this.parts.runtime.sessions.connectionOf(peerId) !== undefined) void this.add(record, offer, failures + 1)
        else if (failures < JOIN_ATTEMPTS) this.rejoinLater(peerId, failures + 1)
      },
      doublingDelay(JOIN_RETRY_FIRST_MS, JOIN_RETRY_MAX_MS, failures - 1),
    )
    timer.unref()
  }

  private leave(peerId: string): void {
    const member = this.members.get(peerId)
    if (member === undefined) return
    this.members.delete(peerId)
    member.subscription?.cancel()
    this.parts.swarm.leave(peerId)
    void member.source.close?.()
  }

  /**
   * The download dropped the peer (failures, or bad bytes: then `isDropped` keeps it out). It is
   * no member now, so its next library change (its download finished, say) may bring it back.
   */
  dropped(peerId: string): void {
    const member = this.members.get(peerId)
    if (member === undefined) return
    this.members.delete(peerId)
    member.subscription?.cancel()
    void member.source.close?.()
  }
}
