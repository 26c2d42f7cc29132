// What the library says about its games on stderr: folders a scan skipped, and games left
// mid-operation with what repairs each. The disk side of `library` and the output of `scan` say it.
import type {SkippedGame} from '../library/scanner.js'
import type {GameSummary} from '../library/summary.js'

/** stderr lines for games a scan skipped and games left mid-operation. */
export function libraryWarnings(games: readonly GameSummary[], skipped: readonly SkippedGame[] = []): string[] {
  return [
    ...skipped.map((game) => `skipped game folder ${game.id}: ${game.reason}`),
    ...games.filter((game) => game.needs_recovery).map((game) => `game ${game.id} holds ${repairAdvice(game)}`),
  ]
}

/**
 * What repairs a game left mid-operation. Not downloaded means an interrupted download (an
 * install needs a downloaded game; an uninstall keeps version.ini): fetch resumes it, from
 * the chunks on disk, where recover would only clear its scratch.
 */
export function repairAdvice(game: GameSummary): string {
  if (!game.downloaded) return `an interrupted download: run \`lanspread fetch ${game.id}\` to resume it`
  return `an interrupted operation: run \`lanspread recover ${game.id}\``
}
