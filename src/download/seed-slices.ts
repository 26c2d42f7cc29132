// Which chunk only the seeds have a swarm member asks a shared seed for (SPEC §5.1, records 0039
// and 0040). Fetchers that share a seed split those chunks by rank: each asks for its own slice
// (chunk mod downloaders = its rank) lowest first, so the seed sends each chunk about once. TCP
// shares the seed's link unevenly, so slices run out at different times; a fetcher whose slice
// is done takes from the far end of the slice that lags most, keeping the seed's link full to
// the last chunk. Each chunk of a slice has one designated thief, fixed by the chunk's place in
// the slice, not by what is left of it: thieves that see the slice shrink at different moments
// (Haves arrive late) never ask the seed for the same chunk.

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
 * lowest of this downloader's slice. Else the highest chunk designated to this downloader
 * (thiefOf) of a lagging slice, never one of its OWNER_KEEPS lowest; of the slices that leave
 * this thief such a chunk, the one with most candidates. Else undefined.
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
  let best: {chunk: number; left: number} | undefined
  for (const chunks of bySlice.values()) {
    const chunk = highestDesignated(chunks, slice)
    if (chunk === undefined) continue
    if (best === undefined || chunks.length > best.left || (chunks.length === best.left && chunk > best.chunk)) best = {chunk, left: chunks.length}
  }
  return best?.chunk
}

/**
 * The rank of the downloader that may take `chunk` from its owner's slice: the slice's chunks
 * in order (owner, owner + of, owner + 2·of, …) go round the other ranks, starting with the one
 * right after the owner. Stable while the downloaders stay the same, whatever is left.
 */
export function thiefOf(chunk: number, of: number): number {
  const owner = chunk % of
  if (of < 2) return owner // a lone downloader: no one else to take it
  const place = Math.floor(chunk / of)
  return (owner + 1 + (place % (of - 1))) % of
}

/** The highest of one slice's chunks that `slice.rank` may steal: designated to it, not one of the owner's lowest. */
function highestDesignated(chunks: number[], slice: Slice): number | undefined {
  if (chunks.length <= OWNER_KEEPS) return undefined
  const kept = [...chunks].sort((a, b) => a - b)[OWNER_KEEPS - 1]!
  let highest: number | undefined
  for (const chunk of chunks) if (chunk > kept && thiefOf(chunk, slice.of) === slice.rank && (highest === undefined || chunk > highest)) highest = chunk
  return highest
}
