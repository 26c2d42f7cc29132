// The download sentinel's scratch files (.version.ini.tmp, .version.ini.discarded):
// an interrupted download leaves them behind, and recovery sweeps them. A scratch file
// is never turned back into version.ini: the archive bytes may already have changed.
import fs from 'node:fs/promises'
import {ioError} from '../errors.js'
import {lstatOrNull} from '../fs/stat.js'
import {type GamePaths, SENTINEL_DISCARDED, SENTINEL_TMP} from '../library/layout.js'

export async function sentinelScratch(game: GamePaths): Promise<string[]> {
  const present = await Promise.all([game.sentinelTmp, game.sentinelDiscarded].map(lstatOrNull))
  return [SENTINEL_TMP, SENTINEL_DISCARDED].filter((_, i) => present[i] !== null)
}

export async function sweepSentinelScratch(game: GamePaths): Promise<void> {
  for (const file of [game.sentinelTmp, game.sentinelDiscarded]) {
    await fs.rm(file, {force: true, recursive: true}).catch((error: unknown) => {
      throw ioError('remove', file, error)
    })
  }
}
