// Which chunk only the seeds have a swarm member asks a shared seed for (SPEC §5.1, record 0039).
// Fetchers that share a seed split those chunks by rank: each asks for its own slice (chunk mod
// downloaders = its rank) lowest first, so the seed sends each chunk about once. TCP shares the
// seed's link unevenly, so slices run out at different times; a fetcher whose slice is done takes
// from the far end of the slice that lags most, keeping the seed's link full to the last chunk.

/** This downloader's place among the downloaders it knows (itself and the partial sources). */
export interface Slice {
  rank: number
  of: number
}

/** `self`'s rank among itself and the other downloaders it knows (by peer_id). */
export function sliceOf(self: string, others: readonly {id: string}[]): Slice {
  const downloaders = [self, ...others.map((other) => other.id)].sort()
  return {rank: downloaders.indexOf(self), of: downloaders.length}
}

/**
 * The lowest chunks of a slice a thief leaves to its owner: the owner's request in flight and
 * the chunk before it, whose Have may not have come yet (both still look like "only the seed").
 */
export const OWNER_KEEPS = 2

/**
 * Of `candidates` (chunks only the seeds have: all of them, or a sample of a large set), the
 * lowest of this downloader's slice. Else a chunk of a lagging slice, counted from its top by
 * how many ranks this downloader comes after that slice's owner (around the ring), so thieves
 * of one slice take different chunks; never one of its OWNER_KEEPS lowest. Of the slices that
 * leave this thief a chunk so, the one with most candidates. Else undefined.
 */
export function seedOnlyPick(candidates: readonly number[], slice: Slice): number | undefined {
  const bySlice = new Map<number, number[]>()
  for (const chunk of candidates) {
    const owner = chunk % slice.of
    const chunks = bySlice.get(owner)
    if (chunks === undefined) bySlice.set(owner, [chunk])
    else chunks.push(chunk)
  }
  const own = bySlice.get(slice.rank)
  if (own !== undefined) return Math.min(...own)
  let best: {chunks: number[]; place: number} | undefined
  for (const [owner, chunks] of bySlice) {
    // The thief right after the owner takes its top chunk, the next one the chunk below, and so on.
    const place = ((slice.rank - owner + slice.of) % slice.of) - 1
    if (place >= chunks.length - OWNER_KEEPS) continue
    if (best === undefined || chunks.length > best.chunks.length || (chunks.length === best.chunks.length && place < best.place)) best = {chunks, place}
  }
  return best?.chunks.sort((a, b) => b - a)[best.place]
}
