// The endgame of a download (SPEC §5.1): once every chunk some source has is in flight, an idle
// source asks for a copy of the chunk asked longest ago, and the slower reply is dropped.
import {hasChunk} from '../protocol/chunk-map.js'
import {ENDGAME_COPIES} from './picker-limits.js'
import type {Attempt, Source} from './picker-types.js'

/**
 * The chunk asked longest ago of fewer than ENDGAME_COPIES sources, none of them `source`, that
 * `source` has; `looked` counts the chunks in flight it went through.
 */
export function oldestToCopy(attempts: ReadonlyMap<number, readonly Attempt[]>, source: Source): {chunk: number | undefined; looked: number} {
  let best: {chunk: number; started: number} | undefined
  for (const [chunk, tries] of attempts) {
    if (tries.length >= ENDGAME_COPIES || source.inFlight.has(chunk)) continue
    if (source.kind === 'partial' && !hasChunk(source.have, chunk)) continue
    const started = tries[0]!.started
    if (best === undefined || started < best.started) best = {chunk, started}
  }
  return {chunk: best?.chunk, looked: attempts.size}
}
