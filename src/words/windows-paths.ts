// How long a path Windows programs can open (record 0035): MAX_PATH is 260 characters with
// the closing NUL. Node itself writes longer paths (\\?\ prefixes), but games and Explorer cannot open them.

/** The longest full path, in UTF-16 characters, that a program without long-path support opens. */
export const WINDOWS_MAX_PATH = 259

/** The length of `root` joined with the POSIX `relative` path on Windows (one separator between, none doubled at the end of root). */
export function windowsPathLength(root: string, relative: string): number {
  const trimmedRoot = root.replace(/[\\/]+$/, '')
  return trimmedRoot.length + 1 + relative.length
}

/** True when `relative` under `root` is longer than a Windows program can open. */
export function windowsPathTooLong(root: string, relative: string): boolean {
  return windowsPathLength(root, relative) > WINDOWS_MAX_PATH
}
