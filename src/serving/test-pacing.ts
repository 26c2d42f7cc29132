// A test-only brake on a seed's upload: with LANSPREAD_TEST_SEED_CHUNK_MS=<ms>, chunks of complete
// games leave this peer at most one per <ms> in all (a slow uplink), while chunks of downloads in
// progress go at full speed. On loopback the seed is never the bottleneck, so the swarm e2e test
// (test/e2e/swarm.test.ts) needs it to see fetchers trade chunks. Unset (the default): inert.

export const SEED_PACE_ENV = 'LANSPREAD_TEST_SEED_CHUNK_MS'

/** Longest pace accepted: a test knob, not a way to stall a peer for good. */
const MAX_PACE_MS = 10_000

export class SeedPacing {
  private nextAt = 0

  constructor(private readonly paceMs: number = paceFromEnv()) {}

  /** Resolves when the next chunk of a complete game may go out. */
  async turn(now = Date.now()): Promise<void> {
    if (this.paceMs <= 0) return
    const at = Math.max(now, this.nextAt)
    this.nextAt = at + this.paceMs
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now))
  }
}

function paceFromEnv(): number {
  const value = Number(process.env[SEED_PACE_ENV] ?? '')
  return Number.isInteger(value) && value > 0 ? Math.min(value, MAX_PACE_MS) : 0
}
