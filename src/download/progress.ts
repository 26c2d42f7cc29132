// What a running download reports: bytes done of the total (chunks reused from disk count as
// done), bytes per source, the bytes buffered in memory, the rate and the time left. The CLI
// draws bars from these; tests read the buffered bytes to check the memory bound.
import type {GameId} from '../library/layout.js'

export interface DownloadProgress {
  id: GameId
  total_bytes: number
  /** Reused from disk plus fetched and written. */
  done_bytes: number
  reused_bytes: number
  fetched_bytes: number
  /** Reserved for requests in flight plus replies not yet written. */
  buffered_bytes: number
  sources: {peer_id: string; bytes: number}[]
  /** Fetched bytes per second since fetching began. */
  rate: number
  /** Estimated milliseconds left at that rate; null before anything was fetched. */
  eta_ms: number | null
}

export class ProgressTracker {
  private fetched = 0
  private readonly perSource = new Map<string, number>()

  constructor(
    private readonly id: GameId,
    private readonly totalBytes: number,
    private readonly reusedBytes: number,
    peerIds: readonly string[],
    private readonly now: () => number,
    private readonly started = now(),
  ) {
    for (const peer of peerIds) this.perSource.set(peer, 0)
  }

  /** Records a chunk written from `peerId` and returns the progress after it. */
  chunk(peerId: string, bytes: number, bufferedBytes: number): DownloadProgress {
    this.fetched += bytes
    this.perSource.set(peerId, (this.perSource.get(peerId) ?? 0) + bytes)
    return this.snapshot(bufferedBytes)
  }

  snapshot(bufferedBytes = 0): DownloadProgress {
    const elapsedMs = Math.max(1, this.now() - this.started)
    const rate = (this.fetched * 1000) / elapsedMs
    const done = this.reusedBytes + this.fetched
    return {
      id: this.id,
      total_bytes: this.totalBytes,
      done_bytes: done,
      reused_bytes: this.reusedBytes,
      fetched_bytes: this.fetched,
      buffered_bytes: bufferedBytes,
      sources: [...this.perSource].map(([peer_id, sourceBytes]) => ({peer_id, bytes: sourceBytes})),
      rate,
      eta_ms: rate > 0 ? Math.round(((this.totalBytes - done) * 1000) / rate) : null,
    }
  }
}
