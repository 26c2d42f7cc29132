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
import {HAVE_BATCH_MS, HaveAnnouncer, type SendHave} from './have-announcer.js'

/** A peer announced chunks of a download we run: its indexes are checked against our manifest. */
export type HaveListener = (peerId: string, chunks: readonly number[]) => void

/** One download registered while it runs. */
export interface RunningDownload {
  readonly view: DownloadView
  /** Haves from peers for this download's content go to `listener` (one at a time; the last set wins). */
  onHave(listener: HaveListener): void
  /** The download ended (whichever way): no longer served, announced, nor told Haves. */
  end(): void
}

interface Entry {
  view: DownloadView
  announcer: HaveAnnouncer
  haves: HaveListener | undefined
}

export class RunningDownloads implements PartialGames {
  private readonly running = new Map<string, Entry>()

  constructor(
    private readonly send: SendHave,
    private readonly batchMs = HAVE_BATCH_MS,
  ) {}

  get(id: string): DownloadView | undefined {
    return this.running.get(id)?.view
  }

  /** Registers a download once its plan is made (DownloadOptions.onStarted). One per game: the operation lock sees to it. */
  add(view: DownloadView): RunningDownload {
    this.running.get(view.id)?.announcer.stop()
    const entry: Entry = {view, announcer: new HaveAnnouncer(view, this.send, this.batchMs), haves: undefined}
    this.running.set(view.id, entry)
    return {
      view,
      onHave: (listener) => void (entry.haves = listener),
      end: () => {
        entry.announcer.stop()
        entry.haves = undefined
        if (this.running.get(view.id) === entry) this.running.delete(view.id)
      },
    }
  }

  /** Answers a GetChunkMap, and makes the asking peer follow the download's Haves. */
  chunkMap(request: GetChunkMap, peerId: string, connection: PeerConnection): ChunkMap {
    const entry = this.entryFor(request.id, request.content_hash)
    if (entry === undefined) {
      throw new LanspreadError('not_downloaded', `no download of game ${request.id} with content ${request.content_hash.slice(0, 12)}… runs here`, {
        hint: 'ask a peer whose library says it downloads that content',
      })
    }
    // Following first: a chunk verified while the map is built is announced, never lost between the two.
    entry.announcer.follow(peerId, connection)
    const {view} = entry
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

  /** A peer's Have: to our download of that content; a Have for anything else is ignored (it may have just ended). */
  have(message: Have, peerId: string): void {
    const entry = this.entryFor(message.id, message.content_hash)
    if (entry === undefined) return
    const problem = chunkIndexesProblem(message.chunks, entry.view.chunkCount)
    if (problem !== undefined) throw protocolViolation(peerId, `Have of game ${message.id}: ${problem}`)
    entry.haves?.(peerId, message.chunks)
  }

  private entryFor(id: string, contentHash: string): Entry | undefined {
    const entry = this.running.get(id)
    return entry?.view.manifest.content_hash === contentHash ? entry : undefined
  }
}
