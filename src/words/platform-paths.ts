// Whether this platform's folders can hold a game's paths (record 0035): the Windows rules
// (windows-names, windows-paths) apply on win32 only, so two Linux peers still share any name.
import {CaseFolds, windowsPathProblem} from './windows-names.js'
import {WINDOWS_MAX_PATH, windowsPathLength, windowsPathTooLong} from './windows-paths.js'

/** A path this platform cannot hold, why, and what the user can do. */
export interface PlatformPathProblem {
  path: string
  reason: string
  hint: string
}

const RENAME_HINT =
  'the game was packed on a system that allows such names; ask whoever packed it to rename that file, or use it from a Linux or macOS computer'

/**
 * The first of `paths` (relative POSIX paths to be written under `root`) that a folder of
 * `platform` cannot hold, or undefined. Checked before anything is written; without a root,
 * the length is not checked.
 */
export function platformPathProblem(platform: string, root: string | undefined, paths: Iterable<string>): PlatformPathProblem | undefined {
  if (platform !== 'win32') return undefined
  const folds = new CaseFolds()
  for (const relative of paths) {
    const bad = windowsPathProblem(relative)
    if (bad !== undefined) return {path: relative, reason: `has the name ${JSON.stringify(bad.segment)}, which ${bad.reason}`, hint: RENAME_HINT}
    const earlier = folds.add(relative)
    if (earlier !== undefined) {
      return {
        path: relative,
        reason: `differs from ${JSON.stringify(earlier)} only in upper and lower case, which Windows reads as one name`,
        hint: RENAME_HINT,
      }
    }
    if (root !== undefined && windowsPathTooLong(root, relative)) {
      return {
        path: relative,
        reason: `would be ${windowsPathLength(root, relative)} characters long under ${root}, past the ${WINDOWS_MAX_PATH} a Windows program can open`,
        hint: 'move the games folder closer to the drive root (e.g. C:\\games, set with --games or LANSPREAD_GAMES) and try again',
      }
    }
  }
  return undefined
}

/** Why a folder of `platform` cannot be named after game `id` (its root), or undefined. */
export function platformGameIdProblem(platform: string, id: string): PlatformPathProblem | undefined {
  if (platform !== 'win32') return undefined
  const bad = windowsPathProblem(id)
  if (bad === undefined) return undefined
  return {path: id, reason: `is a game ID that ${bad.reason}`, hint: RENAME_HINT}
}
