// Checks across the fields of one message that a field schema cannot express: unique game
// IDs and chunk indexes, and a manifest whose paths are unique and whose chunk lists match the file sizes.
import type {z} from 'zod'
import {quoteUntrusted} from './violation.js'

type Context = z.RefinementCtx
type Path = (string | number)[]

export function checkUniqueIds(ids: readonly string[], path: Path, ctx: Context): void {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) {
      ctx.addIssue({code: 'custom', path, message: `game "${id}" appears more than once`})
      return
    }
    seen.add(id)
  }
}

export function checkUniqueChunks(indexes: readonly number[], path: Path, ctx: Context): void {
  const seen = new Set<number>()
  for (const index of indexes) {
    if (seen.has(index)) {
      ctx.addIssue({code: 'custom', path, message: `chunk ${index} appears more than once`})
      return
    }
    seen.add(index)
  }
}

interface FileEntry {
  path: string
  size: number
  chunks: readonly string[]
}

/**
 * Paths are unique, no file is also a folder of another file (a downloader could not write
 * both), and each file has one chunk hash per chunk (an empty file has one, of no bytes).
 */
export function checkManifestFiles(files: readonly FileEntry[], chunkSize: number, ctx: Context): void {
  const paths = new Set(files.map((file) => file.path))
  if (paths.size !== files.length) ctx.addIssue({code: 'custom', path: ['files'], message: 'a path appears more than once'})
  for (const [index, file] of files.entries()) {
    const folder = firstFolderThatIsAFile(file.path, paths)
    if (folder !== undefined) {
      ctx.addIssue({code: 'custom', path: ['files', index, 'path'], message: `${quoteUntrusted(folder)} is listed both as a file and as a folder`})
      return
    }
    const expected = Math.max(1, Math.ceil(file.size / chunkSize))
    if (file.chunks.length !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['files', index, 'chunks'],
        message: `expected ${expected} chunk hashes for ${file.size} bytes, got ${file.chunks.length}`,
      })
      return
    }
  }
}

function firstFolderThatIsAFile(filePath: string, paths: ReadonlySet<string>): string | undefined {
  for (let slash = filePath.indexOf('/'); slash !== -1; slash = filePath.indexOf('/', slash + 1)) {
    const folder = filePath.slice(0, slash)
    if (paths.has(folder)) return folder
  }
  return undefined
}
