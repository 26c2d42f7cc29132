// Why a download cannot finish, once some chunks it needs are held by no source present: every
// source of a chunk served bad bytes (integrity), every source failed (no_peers, with their
// errors), or the peers that held them left (no_peers, naming their share of the game).
import {LanspreadError} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {ChunkState, SourceState} from './scheduler-sources.js'

export function unfetchable(id: GameId, chunkCount: number, missing: readonly ChunkState[], sources: readonly SourceState[]): LanspreadError {
  const bad = missing.find((chunk) => chunk.badFrom.size > 0)
  if (bad !== undefined) {
    const {file, offset} = bad.planned
    return new LanspreadError(
      'integrity',
      `every source of game ${id} served bad bytes for ${file.entry.path} at offset ${offset} (${[...bad.badFrom].join(', ')})`,
      {
        hint: 'the source copies are damaged or changed behind their index: run `lanspread scan --full` on those peers, or fetch from another peer',
      },
    )
  }
  if (sources.length > 0 && sources.every((source) => source.dropped)) {
    const reasons = sources.map((source) => `${source.peerId}: ${source.lastError ?? 'dropped'}`).join('; ')
    return new LanspreadError('no_peers', `every source of game ${id} failed (${reasons})`, {
      hint: 'check the peers with `lanspread peers`, then fetch again: chunks already on disk are kept',
    })
  }
  const percent = Math.round((missing.length * 100) / Math.max(1, chunkCount))
  return new LanspreadError('no_peers', `${missing.length} of ${chunkCount} chunks (${percent}%) of game ${id} are held by no connected peer`, {
    hint: 'the peers that had them left or failed: fetch again once a peer with the whole game is up; chunks already on disk are kept',
  })
}
