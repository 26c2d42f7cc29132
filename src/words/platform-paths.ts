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
 * Checks paths one by one as they come (an archive's entries, a manifest's files), remembering
 * their spellings: a path that `platform` cannot hold under `root` (relative POSIX paths;
 * without a root, the length is not checked) is reported before anything is written.
 */
export class PlatformPaths {
  private readonly folds = new CaseFolds()

  constructor(
    readonly platform: string,
    private readonly root: string | undefined,
  ) {}

  /** True when this platform has rules to check (win32). */
  get active(): boolean {
    return this.platform === 'win32'
  }

  problem(relative: string): PlatformPathProblem | undefined {
    if (!this.active) return undefined
    const bad = windowsPathProblem(relative)
    if (bad !== undefined) return {path: relative, reason: `has the name ${JSON.stringify(bad.segment)}, which ${bad.reason}`, hint: RENAME_HINT}
    const earlier = this.folds.add(relative)
    if (earlier !== undefined) {
      return {
        path: relative,
        reason: `differs from ${JSON.stringify(earlier)} only in upper and lower case, which Windows reads as one name`,
        hint: RENAME_HINT,
      }
    }
    if (this.root !== undefined && windowsPathTooLong(this.root, relative)) {
      return {
        path: relative,
        reason: `would be ${windowsPathLength(this.root, relative)} characters long under ${this.root}, past the ${WINDOWS_MAX_PATH} a Windows program can open`,
        hint: 'move the games folder closer to the drive root (e.g. C:\\games, set with --games or LANSPREAD_GAMES) and try again',
      }
    }
    return undefined
  }
}

/** The first of `paths` that a folder of `platform` cannot hold under `root` (see PlatformPaths). */
export function platformPathProblem(platform: string, root: string | undefined, paths: Iterable<string>): PlatformPathProblem | undefined {
  const checker = new PlatformPaths(platform, root)
  if (!checker.active) return undefined
  for (const relative of paths) {
    const problem = checker.problem(relative)
    if (problem !== undefined) return problem
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
