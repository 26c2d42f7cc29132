// A game's manifest: every payload file under its root (recursively, skipping local/, the
// reserved names and symbolic links) as a relative POSIX path and size, sorted by path.
// manifest_hash is the BLAKE3 of a canonical encoding of (path, size) pairs only.
import type {Stats} from 'node:fs'
import path from 'node:path'
import {listEntries, lstatOrNull} from '../fs/stat.js'
import {blake3Hex} from './blake3.js'
import {chunkSizeFor} from './chunk-size.js'
import {compareCodeUnits} from './fingerprint.js'
import {isReservedName} from './layout.js'
import type {Manifest, ManifestFile} from './schemas.js'

export type {Manifest, ManifestFile} from './schemas.js'

const MANIFEST_ENCODING_VERSION = 'lanspread-manifest-v1'

/** Walks a game root and returns its manifest; its chunk size follows from the game's size unless given. */
export async function readManifest(root: string, chunkSize?: number): Promise<Manifest> {
  const files: ManifestFile[] = []
  await walk(root, '', files)
  files.sort((a, b) => compareCodeUnits(a.path, b.path))
  return {chunk_size: chunkSize ?? chunkSizeFor(files.reduce((sum, file) => sum + file.size, 0)), files}
}

async function walk(root: string, relativeDir: string, out: ManifestFile[]): Promise<void> {
  const dir = path.join(root, relativeDir)
  const entries = await listEntries(dir)
  const atRoot = relativeDir === ''
  const files: string[] = []
  const subdirs: string[] = []
  for (const entry of entries) {
    if (atRoot && isReservedName(entry.name)) continue
    const relative = atRoot ? entry.name : `${relativeDir}/${entry.name}`
    if (entry.isFile()) files.push(relative)
    else if (entry.isDirectory()) subdirs.push(relative)
    // symbolic links, sockets, devices: never payload
  }
  const stats = await Promise.all(files.map((relative) => statFile(root, relative)))
  stats.forEach((stat, i) => {
    if (stat) out.push({path: files[i]!, size: stat.size, mtime_ms: stat.mtimeMs})
  })
  for (const subdir of subdirs) await walk(root, subdir, out)
}

async function statFile(root: string, relative: string): Promise<Stats | null> {
  // Vanished between readdir and lstat, or no longer a regular file: not part of this manifest.
  const stat = await lstatOrNull(path.join(root, relative))
  return stat?.isFile() ? stat : null
}

export function manifestSize(manifest: Manifest): number {
  return manifest.files.reduce((sum, file) => sum + file.size, 0)
}

/** BLAKE3 over (path, size) pairs in manifest order; independent of mtimes and listing order. */
export function manifestHash(manifest: Manifest): string {
  const pairs = manifest.files.map((file) => [file.path, file.size])
  return blake3Hex(`${MANIFEST_ENCODING_VERSION}\n${JSON.stringify(pairs)}`)
}
