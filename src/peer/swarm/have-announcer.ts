// Announces a running download's new verified chunks to the peers that follow it (SPEC §5.1):
// a peer that asked GetChunkMap gets a Have with the chunks verified and written since, down the
// stream of its GetChunkMap when it subscribed (record 0038), else on a stream each. Batched over
// ≤ 250 ms: at most one batch per window, and a chunk after a quiet window goes at once (every
// fetcher of a young swarm waits for it). Split at MAX_HAVE_CHUNKS, one send at a time per peer.
// Followers are bounded; one leaves when its connection or subscription closes, sends to it fail
// MAX_SEND_FAILURES times in a row (a failed Have is sent again with the next batch: a follower
// that missed one would never learn those chunks), or the download ends. A chunk a follower
// announced to us itself is not announced to it: it will never ask for it.
import {LanspreadError} from '../../errors.js'
import type {DownloadView} from '../../download/verified-chunks.js'
import {addChunk, emptyChunkBitmap, hasChunk} from '../../protocol/chunk-map.js'
import {MAX_HAVE_CHUNKS} from '../../protocol/limits.js'
import type {Have} from '../../protocol/messages.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import type {Feed} from '../../transport/framed-request.js'

/** Longest a verified chunk waits before it is announced: the batch window (SPEC §5.1). */
export const HAVE_BATCH_MS = 250

/** Peers one download announces to: a LAN party's fetchers, not a flood of fresh peer_ids. */
export const MAX_HAVE_FOLLOWERS = 64

/** Failed sends in a row after which a follower is let go. */
const MAX_SEND_FAILURES = 3

/** Sends one Have to a peer and resolves once it took it. */
export type SendHave = (connection: PeerConnection, message: Have, peerId: string) => Promise<void>

interface Follower {
  peerId: string
  connection: PeerConnection
  /** Its Haves go down its subscription stream (once `push` is set) rather than a stream each. */
  subscribed: boolean
  push?: (message: Have) => Promise<void>
  /** Ends the subscription stream's feed. */
  end?: () => void
  pending: number[]
  /** Chunks the follower announced to us (its own Haves), a bitmap of the game's chunks: never announced to it. */
  holds: Uint8Array
  sending: boolean
  failures: number
}

export class HaveAnnouncer {
  private readonly followers = new Map<string, Follower>()
  private readonly unlisten: () => void
  private timer: NodeJS.Timeout | undefined
  /** When the last batch went out: the next one waits for the rest of its window. */
  private lastFlush = Number.NEGATIVE_INFINITY
  private stopped = false

  constructor(
    private readonly view: DownloadView,
    private readonly send: SendHave,
    private readonly batchMs = HAVE_BATCH_MS,
  ) {
    this.unlisten = view.onVerified((index) => this.verified(index))
  }

  /**
   * `peerId` follows the download over `connection` from now on, one stream per Have (a new
   * connection replaces the old). Called before its ChunkMap is read, so no chunk falls between
   * the map and the Haves.
   */
  follow(peerId: string, connection: PeerConnection): void {
    const known = this.followers.get(peerId)
    // Asked again on the same connection: it may have restarted its download with less on disk.
    if (known?.connection === connection && known.subscribed === false) return void known.holds.fill(0)
    this.admit(peerId, connection, false)
  }

  /**
   * Like follow, but the Haves go down the follower's own GetChunkMap stream (record 0038): the
   * feed that stream runs once the ChunkMap is written. It ends when the follower leaves (its
   * connection or stream gone, a new subscription, the download's end). Called before the map is
   * read, like follow; chunks verified before the feed runs wait for it.
   */
  subscribe(peerId: string, connection: PeerConnection): Feed {
    const follower = this.admit(peerId, connection, true)
    return (push) =>
      new Promise<void>((resolve) => {
        if (follower === undefined || this.followers.get(peerId) !== follower) return resolve()
        follower.push = push
        follower.end = resolve
        void this.announce(follower)
      })
  }

  private admit(peerId: string, connection: PeerConnection, subscribed: boolean): Follower | undefined {
    if (this.stopped) return undefined
    const known = this.followers.get(peerId)
    if (known === undefined && this.followers.size >= MAX_HAVE_FOLLOWERS) {
      throw new LanspreadError('busy', `${MAX_HAVE_FOLLOWERS} peers follow the download of game ${this.view.id} already`, {
        hint: 'ask again once a follower left',
      })
    }
    if (known !== undefined) this.unfollow(known)
    const follower: Follower = {peerId, connection, subscribed, pending: [], holds: emptyChunkBitmap(this.view.chunkCount), sending: false, failures: 0}
    this.followers.set(peerId, follower)
    void connection.closed.then(() => this.unfollow(follower))
    return follower
  }

  /** `peerId` announced these chunks of the download's content (indexes checked by the caller): they are not announced to it. */
  heldBy(peerId: string, chunks: readonly number[]): void {
    const follower = this.followers.get(peerId)
    if (follower === undefined) return
    for (const chunk of chunks) addChunk(follower.holds, chunk)
  }

  /** The download ended: nothing more is announced. */
  stop(): void {
    this.stopped = true
    this.unlisten()
    clearTimeout(this.timer)
    this.timer = undefined
    for (const follower of this.followers.values()) follower.end?.()
    this.followers.clear()
  }

  /** The follower leaves; its subscription stream, if any, ends. */
  private unfollow(follower: Follower): void {
    if (this.followers.get(follower.peerId) === follower) this.followers.delete(follower.peerId)
    follower.end?.()
  }

  private verified(index: number): void {
    if (this.stopped || this.followers.size === 0) return
    for (const follower of this.followers.values()) follower.pending.push(index)
    this.schedule()
  }

  /** The next batch goes when the current window closes; after a quiet window, on the next tick (chunks landing together go together). */
  private schedule(): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.lastFlush + this.batchMs - Date.now()))
  }

  private flush(): void {
    this.timer = undefined
    this.lastFlush = Date.now()
    for (const follower of this.followers.values()) void this.announce(follower)
  }

  /** Sends what is pending, in Haves of at most MAX_HAVE_CHUNKS; what failed waits for the next batch. */
  private async announce(follower: Follower): Promise<void> {
    // A subscriber's Haves wait until its stream carries the ChunkMap.
    if (follower.sending || (follower.subscribed && follower.push === undefined)) return
    follower.pending = follower.pending.filter((chunk) => !hasChunk(follower.holds, chunk))
    if (follower.pending.length === 0) return
    follower.sending = true
    const send = follower.push ?? ((message: Have) => this.send(follower.connection, message, follower.peerId))
    let chunks: number[] = []
    try {
      while (follower.pending.length > 0 && !this.stopped) {
        chunks = follower.pending.splice(0, MAX_HAVE_CHUNKS)
        await send({type: 'Have', id: this.view.id, content_hash: this.view.manifest.content_hash, chunks})
        follower.failures = 0
      }
    } catch {
      // A subscription stream that broke does not heal: the follower subscribes again if it still cares.
      if (follower.push !== undefined || ++follower.failures >= MAX_SEND_FAILURES) this.unfollow(follower)
      else this.retryLater(follower, chunks)
    } finally {
      follower.sending = false
    }
  }

  private retryLater(follower: Follower, chunks: number[]): void {
    if (this.stopped) return
    follower.pending.unshift(...chunks)
    this.schedule()
  }
}
