// The two ends of the download sentinel protocol (SPEC §3): an existing version.ini is
// discarded before any payload byte changes, and the new one is published last, from its
// verified temp file, by one durable rename.
import fs from 'node:fs/promises'
import {ioError} from '../errors.js'
import {fsyncPath, renameDurably} from '../fs/durable.js'
import {lstatOrNull} from '../fs/stat.js'
import type {GamePaths} from '../library/layout.js'
import {failpoint} from '../ops/failpoints.js'

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
