// version.ini, the sentinel (SPEC §3), its one module: a download discards the old one before
// any payload byte changes and publishes the new one last, from its verified temp file, by one
// durable rename; recovery sweeps the scratch files an interrupted download leaves behind. A
// scratch file is never turned back into version.ini: the archive bytes may already have changed.
import fs from 'node:fs/promises'
import {ioError} from '../errors.js'
import {fsyncPath, renameDurably} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import {failpoint} from '../util/failpoints.js'
import {type GamePaths, SENTINEL_DISCARDED, SENTINEL_TMP} from './layout.js'

/** Renames version.ini to .version.ini.discarded and deletes it, each step made durable. */
export async function discardSentinel(game: GamePaths): Promise<void> {
  if (!(await lstatOrNull(game.sentinel))) return
  await renameDurably(game.sentinel, game.sentinelDiscarded, game.root)
  try {
    await fs.rm(game.sentinelDiscarded, {recursive: true, force: true})
    await fsyncPath(game.root)
  } catch (error) {
    throw ioError('remove', game.sentinelDiscarded, error)
  }
  failpoint('download.sentinel-discarded')
}

/** fsyncs .version.ini.tmp, renames it to version.ini and fsyncs the game folder. */
export async function publishSentinel(game: GamePaths): Promise<void> {
  await fsyncPath(game.sentinelTmp).catch((error: unknown) => {
    throw ioError('write', game.sentinelTmp, error)
  })
  failpoint('download.sentinel-tmp-synced')
  await renameDurably(game.sentinelTmp, game.sentinel, game.root)
}

/** The sentinel's scratch files (.version.ini.tmp, .version.ini.discarded) present in the game folder. */
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
