// The bounds a download's chunk scheduler keeps: requests per source, bytes buffered, the
// per-source timeout, failures before a source is dropped, when an idle source takes over, how
// long a swarm waits for a source of chunks nobody has.

export interface SchedulerLimits {
  /** Requests in flight per source (a source's own `maxInFlight` may lower it). */
  perSource: number
  /** Bytes reserved for requests in flight plus replies not yet written. */
  maxBufferedBytes: number
  /**
   * A source's requests share its bandwidth (QUIC interleaves its streams): with n awaiting a
   * reply it fails them when none replied for n × this, counted from its last reply or request.
   * A partial peer gets at most the endgame's patience (`stealAfterMs`, or 4× the mean chunk
   * time), counted from its last reply or its oldest request: one that announces chunks and
   * then stalls would otherwise hold them, and the seed never sends what a partial peer holds.
   */
  chunkTimeoutMs: number
  /** Failures (errors, timeouts, bad bytes) after which a source gets no more requests. */
  maxSourceFailures: number
  /**
   * The endgame: an idle source asks for a copy of a chunk another has held this long (and 4×
   * the mean chunk time), the slower reply then dropped.
   */
  stealAfterMs: number
  /**
   * A swarm download (sources may join) with chunks no source present has waits this long for
   * one to appear before it fails naming their share.
   */
  sourceGraceMs: number
}

export const DEFAULT_LIMITS: SchedulerLimits = {
  perSource: 4,
  maxBufferedBytes: 64 * 1024 * 1024,
  chunkTimeoutMs: 30_000,
  maxSourceFailures: 3,
  stealAfterMs: 2_000,
  sourceGraceMs: 5_000,
}
