// The names a Windows folder cannot hold (record 0035): device names with any extension,
// a trailing dot or space, <>:"|?*, control characters, a backslash, and two spellings of one name.

/** Device names Windows reserves in every folder, whatever follows the first dot (COM¹²³ and LPT¹²³ too). */
const DEVICE_NAME = /^(?:CON|PRN|AUX|NUL|COM[1-9\u00B9\u00B2\u00B3]|LPT[1-9\u00B9\u00B2\u00B3])$/i

/** Characters the Win32 file API refuses in a name (besides the separators / and \). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTER = /[<>:"|?*\u0000-\u001F]/

/** Why Windows cannot hold a file or folder named `name` (one segment), or undefined when it can. */
export function windowsNameProblem(name: string): string | undefined {
  const forbidden = FORBIDDEN_CHARACTER.exec(name)?.[0]
  if (forbidden !== undefined) {
    const shown = forbidden < ' ' ? `the control character U+${forbidden.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : `"${forbidden}"`
    return `holds ${shown}, which Windows does not allow in a name`
  }
  if (name.includes('\\')) return 'holds a backslash, which Windows reads as a folder separator'
  if (name.endsWith('.') || name.endsWith(' ')) return 'ends with a dot or a space, which Windows drops from a name'
  // Windows reads "CON.txt" and "con .tar.gz" as the device CON: the part before the first dot, trailing spaces dropped.
  const stem = name.split('.')[0]!.trimEnd()
  if (DEVICE_NAME.test(stem)) return `is the Windows device name ${stem.toUpperCase()}, which no file or folder may use (with any extension)`
  return undefined
}

/**
 * The first segment of a relative POSIX path that Windows cannot hold, and why. "." and ".."
 * are no names: the rules against climbing out (extract/entry-rules, the wire's paths) refuse them.
 */
export function windowsPathProblem(relative: string): {segment: string; reason: string} | undefined {
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') continue
    const reason = windowsNameProblem(segment)
    if (reason !== undefined) return {segment, reason}
  }
  return undefined
}

/**
 * The key Windows compares names by: each character upper-cased alone (NTFS's upcase table
 * maps one character to one, so "ß" stays "ß" where toUpperCase would make "SS").
 */
export function windowsNameKey(relative: string): string {
  let key = ''
  for (const char of relative) {
    const upper = char.toUpperCase()
    key += [...upper].length === 1 ? upper : char
  }
  return key
}

/**
 * Spellings of paths (files and the folders above them) that one Windows folder would hold
 * as one: "Data/a.txt" and "data/b.txt" land in one folder, whose listing then spells them
 * both "Data/…". `add` returns the earlier spelling a new path collides with.
 */
export class CaseFolds {
  private readonly spellings = new Map<string, string>()

  add(relative: string): string | undefined {
    const parts = relative.split('/').filter((part) => part !== '' && part !== '.')
    for (let end = 1; end <= parts.length; end++) {
      const spelling = parts.slice(0, end).join('/')
      const key = windowsNameKey(spelling)
      const earlier = this.spellings.get(key)
      if (earlier === undefined) this.spellings.set(key, spelling)
      else if (earlier !== spelling) return earlier
    }
    return undefined
  }
}
