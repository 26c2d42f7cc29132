// Which archive entries are hostile: paths that leave the extraction folder, links that point
// out of it. Pure string rules shared by the tar and zip extractors, so both refuse the same.
import path from 'node:path'

/** POSIX segments of an entry path; backslashes count as separators (Windows-made archives). */
function segments(name: string): string[] {
  return name.replaceAll('\\', '/').split('/')
}

function isAbsoluteName(name: string): boolean {
  const posix = name.replaceAll('\\', '/')
  return posix.startsWith('/') || /^[A-Za-z]:/.test(posix)
}

/** Why an entry's own path is unsafe, or undefined when it stays inside the extraction folder. */
export function unsafePathReason(name: string): string | undefined {
  if (name.includes('\0')) return 'has a NUL character in its path'
  if (isAbsoluteName(name)) return 'has an absolute path'
  if (segments(name).includes('..')) return "has a path with '..' segments"
  return undefined
}

/** True for a name that means the extraction folder itself ('', '.', './'). */
export function isRootName(name: string): boolean {
  return segments(name).every((part) => part === '' || part === '.')
}

/**
 * Why a symbolic link is unsafe. Its target is resolved from the link's folder and must stay
 * inside; '..' is allowed only at the start, because after a descent the '..' could climb out
 * of a folder that is itself a symbolic link, which a string check cannot see.
 */
export function unsafeSymlinkReason(entryPath: string, target: string): string | undefined {
  if (target === '') return 'is a symbolic link with an empty target'
  if (target.includes('\0')) return 'is a symbolic link with a NUL character in its target'
  if (isAbsoluteName(target)) return `is a symbolic link to the absolute path ${target}`
  const parts = segments(target).filter((part) => part !== '' && part !== '.')
  const firstDescent = parts.findIndex((part) => part !== '..')
  if (firstDescent >= 0 && parts.slice(firstDescent).includes('..')) {
    return `is a symbolic link whose target ${target} climbs back with '..'`
  }
  // On POSIX a backslash in a tar name is a plain character, so the link's folder uses '/' only.
  const from = path.posix.dirname(entryPath)
  if (escapes(path.posix.join(from, parts.join('/')))) {
    return `is a symbolic link to ${target}, outside the extraction folder`
  }
  return undefined
}

/** Why a hard link is unsafe; its target is relative to the archive root. */
export function unsafeHardlinkReason(target: string): string | undefined {
  if (target === '') return 'is a hard link with an empty target'
  if (isAbsoluteName(target)) return `is a hard link to the absolute path ${target}`
  if (segments(target).includes('..')) return `is a hard link to ${target}, outside the extraction folder`
  return undefined
}

function escapes(relative: string): boolean {
  const normal = path.posix.normalize(relative)
  return normal === '..' || normal.startsWith('../') || path.posix.isAbsolute(normal)
}

/** True when `target` (an absolute path) is `dest` itself or inside it. */
export function isInside(dest: string, target: string): boolean {
  const relative = path.relative(dest, target)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}
