// The errors an extraction raises: a hostile entry (archive_unsafe) or damaged data
// (archive_corrupt), each naming the archive file and, where known, the entry.
import path from 'node:path'
import {getGameAgainHint, LanspreadError} from '../../errors.js'
import type {PlatformPathProblem} from '../../words/platform-paths.js'

/** A game's archives sit at its root, so the folder that holds one is named by the game ID. */
function gameOf(archive: string): string {
  return path.basename(path.dirname(path.resolve(archive)))
}

const damagedHint = (archive: string): string => `the archive is damaged: ${getGameAgainHint(gameOf(archive))}`
const unsafeHint = (archive: string): string =>
  `the archive tries to write outside its install folder or holds special files, so lanspread refuses to install it; from a source you trust, ${getGameAgainHint(gameOf(archive))}`

export function unsafeEntry(archive: string, entry: string, reason: string): LanspreadError {
  return new LanspreadError('archive_unsafe', `archive ${archive}: entry ${JSON.stringify(entry)} ${reason}`, {
    hint: unsafeHint(archive),
  })
}

/** An entry this computer's folders cannot hold (record 0035): the archive is unsupported here, nothing is installed. */
export function unholdableEntry(archive: string, problem: PlatformPathProblem): LanspreadError {
  return new LanspreadError(
    'archive_corrupt',
    `archive ${archive}: entry ${JSON.stringify(problem.path)} ${problem.reason}, so this computer cannot install it`,
    {
      hint: problem.hint,
    },
  )
}

export function corruptArchive(archive: string, detail: string, cause?: unknown): LanspreadError {
  return new LanspreadError('archive_corrupt', `archive ${archive} is damaged: ${detail}`, {hint: damagedHint(archive), cause})
}

export function truncatedArchive(archive: string): LanspreadError {
  return new LanspreadError('archive_corrupt', `archive ${archive} ends before its end-of-archive marker: the file is truncated; download it again`, {
    hint: damagedHint(archive),
  })
}

export function unknownFormat(archive: string, detail: string): LanspreadError {
  return new LanspreadError('archive_corrupt', `archive ${archive} ${detail}: its format is not tar, tar.gz or zip`, {
    hint: damagedHint(archive),
  })
}

/** The message of an unknown thrown value, for error details. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
