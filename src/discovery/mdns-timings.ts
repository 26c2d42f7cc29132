// The pace of mDNS discovery (RFC 6762): announcements, the browse backoff, answer delays and
// rate limits, the wait for a split known-answer list. Tests pass shorter ones.

export interface MdnsTimings {
  /** Browse queries: at start, then after 1 s, 2 s, 4 s … up to `queryMaxMs` (RFC 6762 §5.2). */
  queryMinMs: number
  queryMaxMs: number
  /** Announcements at start and after a change (RFC 6762 §8.3: at least two, one second apart). */
  announceCount: number
  announceIntervalMs: number
  /** How long stop() waits for the goodbye to leave. */
  goodbyeWaitMs: number
  /**
   * How often every peer heard is reported to the runtime again (no packet sent): a dial
   * that failed, a pull that failed or a connection that dropped is retried at this pace,
   * not at the browse backoff's (up to a minute). The dialer has its own backoff per peer.
   */
  reportIntervalMs: number
  /**
   * The answer to a browse query (a shared PTR record) waits a random 20–120 ms and goes out
   * at most once a second per interface (RFC 6762 §6): the queries of peers starting
   * together get one answer, not one each, which every peer would then have to parse.
   */
  answerDelayMinMs: number
  answerDelayMaxMs: number
  answerIntervalMs: number
  /** A browse query whose known answers continue in later packets (TC): wait for them (RFC 6762 §7.2). */
  truncatedWaitMinMs: number
  truncatedWaitMaxMs: number
}

export const DEFAULT_MDNS_TIMINGS: MdnsTimings = {
  queryMinMs: 1000,
  queryMaxMs: 60_000,
  announceCount: 3,
  announceIntervalMs: 1000,
  goodbyeWaitMs: 500,
  reportIntervalMs: 1000,
  answerDelayMinMs: 20,
  answerDelayMaxMs: 120,
  answerIntervalMs: 1000,
  truncatedWaitMinMs: 400,
  truncatedWaitMaxMs: 500,
}
