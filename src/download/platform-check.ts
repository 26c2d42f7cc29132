// A manifest whose paths this computer's folders cannot hold (record 0035: Windows names, case
// collisions, long paths) is refused before the game's lock is taken, so nothing is written.
import {LanspreadError} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {GameManifest} from '../protocol/messages.js'
import {platformGameIdProblem, platformPathProblem} from '../words/platform-paths.js'

/**
 * Throws `invalid_input` naming the first path of game `id` that `platform` cannot hold under
 * `gameRoot` (the long-path rule needs the root; without one only names are checked).
 */
export function assertPlatformHolds(id: GameId, manifest: Pick<GameManifest, 'files'>, platform: string, gameRoot: string | undefined): void {
  const ofId = platformGameIdProblem(platform, id)
  if (ofId !== undefined) throw new LanspreadError('invalid_input', `game ${id} cannot be downloaded here: ${ofId.path} ${ofId.reason}`, {hint: ofId.hint})
  const problem = platformPathProblem(
    platform,
    gameRoot,
    manifest.files.map((file) => file.path),
  )
  if (problem === undefined) return
  throw new LanspreadError('invalid_input', `game ${id} cannot be downloaded here: its file ${problem.path} ${problem.reason}`, {hint: problem.hint})
}
