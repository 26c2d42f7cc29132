// The wait before a retry that backs off by doubling: the first wait, twice it, four times…,
// never more than the cap. Shared by the dialler's backoff, the swarm's rejoins and the
// rename that waits for a file to be let go.

/** `firstMs` × 2^`step` (step 0 is the first wait), at most `maxMs`. */
export function doublingDelay(firstMs: number, maxMs: number, step: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, step), 30))
}
