// The downloads running on this peer, as the swarm sees them (SPEC §5.1): each one's live view
// of its verified chunks, by game ID. Serving reads them (PartialGames: GetChunk of a verified
// chunk); a peer's GetChunkMap is answered from them and makes that peer follow the download's
// Haves; a peer's Have is checked and handed to our download of that content, if one runs.
import {LanspreadError} from '../../errors.js'
import type {DownloadView} from '../../download/verified-chunks.js'
import {addChunk, chunkIndexesProblem, emptyChunkBitmap, encodeChunkBitmap} from '../../protocol/chunk-map.js'
import type {ChunkMap, GetChunkMap, Have} from '../../protocol/messages.js'
import {protocolViolation} from '../../protocol/violation.js'
import type {PartialGames} from '../../serving/partial-games.js'
import type {PeerConnection} from '../../transport/endpoint.js'
import type {FramedReply} from '../../transport/framed-request.js'
import {HAVE_BATCH_MS, HaveAnnouncer, type SendHave} from './have-announcer.js'

/** A peer announced chunks of a download we run: its indexes are checked against our manifest. */
export type HaveListener = (peerId: string, chunks: readonly number[]) => void

/** One download registered while it runs. */
export interface RunningDownload {
  readonly view: DownloadView
  /** Haves from peers for this download's content go to `listener` (one at a time; the last set wins). */
  onHave(listener: HaveListener): void
  /** A peer's Have for this download, pushed on its subscription: checked and handed on like any Have (throws on bad indexes). */
  have(message: Have, peerId: string): void
  /** The download ended (whichever way): no longer served, announced, nor told Haves. */
  end(): void
}

/**
 * Longest a GetChunkMap waits for a download this peer has announced (its lock taken, its summary
 * `downloading`) but whose plan is still being made: answered as soon as it registers, so the
 * fetchers of a swarm that all start at once meet without polling each other.
 */
export const PLAN_WAIT_MS = 2_000

/** GetChunkMaps waiting for a plan at once (one per peer and game): a LAN party's fetchers, not a flood. */
export const MAX_PLAN_WAITERS = 256

/** Whether this peer's own library says it downloads `id` towards `contentHash` (its lock is taken). */
export type DownloadAnnounced = (id: string, contentHash: string) => boolean

interface Waiter {
  peerId: string
  id: string
  contentHash: string
  arrived(): void
}

interface Entry {
  view: DownloadView
  announcer: HaveAnnouncer
  haves: HaveListener | undefined
}

export class RunningDownloads implements PartialGames {
  private readonly running = new Map<string, Entry>()
  private readonly waiters = new Set<Waiter>()

  constructor(
    private readonly send: SendHave,
    private readonly options: {batchMs?: number; announced?: DownloadAnnounced; planWaitMs?: number} = {},
  ) {}

  get(id: string): DownloadView | undefined {
    return this.running.get(id)?.view
  }

  /** Registers a download once its plan is made (DownloadOptions.onStarted). One per game: the operation lock sees to it. */
  add(view: DownloadView): RunningDownload {
    this.running.get(view.id)?.announcer.stop()
    const entry: Entry = {view, announcer: new HaveAnnouncer(view, this.send, this.options.batchMs ?? HAVE_BATCH_MS), haves: undefined}
    this.running.set(view.id, entry)
    for (const waiter of this.waiters) if (waiter.id === view.id && waiter.contentHash === view.manifest.content_hash) waiter.arrived()
    return {
      view,
      onHave: (listener) => void (entry.haves = listener),
      have: (message, peerId) => this.have(message, peerId),
      end: () => {
        entry.announcer.stop()
        entry.haves = undefined
        if (this.running.get(view.id) === entry) this.running.delete(view.id)
      },
    }
  }

  /**
   * A peer's GetChunkMap: a download announced but not yet registered (its plan being made) is
   * waited for, up to PLAN_WAIT_MS, then answered as `chunkMap` does; a subscriber's answer
   * carries the feed of Haves its stream runs after the map.
   */
  async answer(request: GetChunkMap, peerId: string, connection: PeerConnection): Promise<{reply: ChunkMap} & FramedReply> {
    if (this.entryFor(request.id, request.content_hash) === undefined) await this.planned(peerId, request.id, request.content_hash)
    if (request.subscribe !== true) return {reply: this.chunkMap(request, peerId, connection)}
    const entry = this.runningFor(request)
    // Subscribing first: a chunk verified while the map is built is announced, never lost between the two.
    const feed = entry.announcer.subscribe(peerId, connection)
    return {reply: mapOf(entry.view), feed}
  }

  /** Answers a GetChunkMap, and makes the asking peer follow the download's Haves, a stream each. */
  chunkMap(request: GetChunkMap, peerId: string, connection: PeerConnection): ChunkMap {
    const entry = this.runningFor(request)
    // Following first: a chunk verified while the map is built is announced, never lost between the two.
    entry.announcer.follow(peerId, connection)
    return mapOf(entry.view)
  }

  /** The running download a GetChunkMap asks about, or the refusal. */
  private runningFor(request: GetChunkMap): Entry {
    const entry = this.entryFor(request.id, request.content_hash)
    if (entry !== undefined) return entry
    throw new LanspreadError('not_downloaded', `no download of game ${request.id} with content ${request.content_hash.slice(0, 12)}… runs here`, {
      hint: 'ask a peer whose library says it downloads that content',
    })
  }

  /** A peer's Have: to our download of that content; a Have for anything else is ignored (it may have just ended). */
  have(message: Have, peerId: string): void {
    const entry = this.entryFor(message.id, message.content_hash)
    if (entry === undefined) return
    const problem = chunkIndexesProblem(message.chunks, entry.view.chunkCount)
    if (problem !== undefined) throw protocolViolation(peerId, `Have of game ${message.id}: ${problem}`)
    entry.announcer.heldBy(peerId, message.chunks)
    entry.haves?.(peerId, message.chunks)
  }

  /**
   * Resolves once the download of `id` towards `contentHash` registers, if this peer announced it,
   * or after the plan wait; at once when the peer waits for this game already or MAX_PLAN_WAITERS wait.
   */
  private planned(peerId: string, id: string, contentHash: string): Promise<void> {
    const waiting = [...this.waiters].some((waiter) => waiter.peerId === peerId && waiter.id === id)
    if (waiting || this.options.announced?.(id, contentHash) !== true || this.waiters.size >= MAX_PLAN_WAITERS) return Promise.resolve()
    return new Promise((resolve) => {
      const waiter: Waiter = {peerId, id, contentHash, arrived: () => settle()}
      const timer = setTimeout(() => settle(), this.options.planWaitMs ?? PLAN_WAIT_MS)
      // A waiting GetChunkMap does not hold serve open when it stops.
      timer.unref()
      const settle = (): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve()
      }
      this.waiters.add(waiter)
    })
  }

  private entryFor(id: string, contentHash: string): Entry | undefined {
    const entry = this.running.get(id)
    return entry?.view.manifest.content_hash === contentHash ? entry : undefined
  }
}

/** The download's verified chunks as a ChunkMap. */
function mapOf(view: DownloadView): ChunkMap {
  const bitmap = emptyChunkBitmap(view.chunkCount)
  for (const index of view.verifiedIndexes()) addChunk(bitmap, index)
  return {
    type: 'ChunkMap',
    id: view.id,
    content_hash: view.manifest.content_hash,
    chunk_count: view.chunkCount,
    bitmap: encodeChunkBitmap(bitmap, view.chunkCount),
  }
}
