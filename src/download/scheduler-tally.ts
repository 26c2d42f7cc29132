// What a running download counts: bytes fetched and held in memory, chunks retried, and the
// mean time a chunk takes (the endgame's patience is measured against it).

export class SchedulerTally {
  fetched = 0
  retried = 0
  /** Bytes of chunks requested or being verified and written: bounded by maxBufferedBytes. */
  buffered = 0
  peakBuffered = 0
  private completed = 0
  private completedMs = 0

  reserve(bytes: number): void {
    this.buffered += bytes
    this.peakBuffered = Math.max(this.peakBuffered, this.buffered)
  }

  /** A verified chunk of `bytes` that took `ms` from request to reply. */
  landed(bytes: number, ms: number): void {
    this.fetched += bytes
    this.completed++
    this.completedMs += ms
  }

  meanChunkMs(): number {
    return this.completed === 0 ? 0 : this.completedMs / this.completed
  }
}
