// After a download, payload that the new manifest does not list is removed, so the game's
// own manifest becomes the one downloaded. local/, the reserved names and symbolic links
// (never payload) stay; version.ini is the sentinel protocol's, not this sweep's.
import fs from 'node:fs/promises'
import path from 'node:path'
import {ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {listEntries} from '../fs/stat.js'
import {SENTINEL, isReservedName} from '../library/layout.js'
import type {GameManifest} from '../protocol/messages.js'

/** Removes files and folders under `root` that hold nothing of `manifest`; returns their relative paths. */
export async function removeStalePayload(root: string, manifest: Pick<GameManifest, 'files'>): Promise<string[]> {
  const files = new Set(manifest.files.map((file) => file.path))
  const folders = new Set(manifest.files.flatMap((file) => parentFolders(file.path)))
  const removed: string[] = []
  await sweep(root, '', files, folders, removed)
  return removed
}

async function sweep(root: string, relativeDir: string, files: Set<string>, folders: Set<string>, removed: string[]): Promise<void> {
  const dir = path.join(root, relativeDir)
  const entries = await listEntries(dir)
  let changed = false
  for (const entry of entries) {
    if (relativeDir === '' && (isReservedName(entry.name) || entry.name === SENTINEL)) continue
    const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`
    if (entry.isSymbolicLink()) continue
    if (entry.isFile() && files.has(relative)) continue
    if (entry.isDirectory() && folders.has(relative)) {
      await sweep(root, relative, files, folders, removed)
      continue
    }
    const target = path.join(dir, entry.name)
    await fs.rm(target, {recursive: true, force: true}).catch((error: unknown) => {
      throw ioError('remove', target, error)
    })
    removed.push(relative)
    changed = true
  }
  if (changed) {
    await fsyncPath(dir).catch((error: unknown) => {
      throw ioError('write', dir, error)
    })
  }
}

function parentFolders(filePath: string): string[] {
  const folders: string[] = []
  for (let slash = filePath.indexOf('/'); slash !== -1; slash = filePath.indexOf('/', slash + 1)) folders.push(filePath.slice(0, slash))
  return folders
}
