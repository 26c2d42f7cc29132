// Building a new install in `.local.installing/`: the folder with its ownership marker,
// every root-level .eti archive extracted into it, then sealed (marker, install record,
// everything fsynced), so the rename to local/ publishes a complete install across a power cut.
import type {Dirent} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, getGameAgainHint, ioError} from '../errors.js'
import {fsyncPath, fsyncTree} from '../fs/durable.js'
import {listEntries} from '../fs/stat.js'
import {compareCodeUnits} from '../library/fingerprint.js'
import {type GamePaths, OWNED_MARKER, isArchiveName} from '../library/layout.js'
import {extractArchive, PlatformPaths} from './extract/index.js'
import {type InstallRecord, writeRecord} from './install-record.js'

/** Constant, so two installs of the same archives are identical byte for byte. */
const MARKER_TEXT = 'created by lanspread: this folder was made from the .eti archives\n'

export interface ExtractionProgress {
  archive: string
  /** Archive bytes consumed so far, over all archives of the game. */
  bytesRead: number
  totalBytes: number
}

export interface StagingOptions {
  onProgress?: (progress: ExtractionProgress) => void
  /** Called after each archive but the last (a failpoint between archives). */
  betweenArchives?: () => void
  /** Whose naming rules the entries must follow (record 0035); defaults to process.platform. */
  platform?: string
}

/** The root-level .eti archives of a game (regular files only), in a fixed order. */
export interface ArchiveFile {
  name: string
  size: number
  mtime_ms: number
}

export async function listArchives(game: GamePaths): Promise<ArchiveFile[]> {
  const entries = await listEntries(game.root)
  refuseLinkedArchives(game, entries)
  const names = entries
    .filter((e) => e.isFile() && isArchiveName(e.name))
    .map((e) => e.name)
    .sort(compareCodeUnits)
  return Promise.all(
    names.map(async (name) => {
      const stats = await fs.stat(path.join(game.root, name))
      return {name, size: stats.size, mtime_ms: stats.mtimeMs}
    }),
  )
}

/** A linked archive would be skipped and the install silently miss its files: say so instead. */
function refuseLinkedArchives(game: GamePaths, entries: Dirent[]): void {
  const linked = entries.find((e) => e.isSymbolicLink() && isArchiveName(e.name))
  if (!linked) return
  throw new LanspreadError(
    'invalid_input',
    `${linked.name} in ${game.root} is a symbolic link; lanspread only trusts regular files there (replace it with the file itself)`,
    {
      hint: `replace the link ${path.join(game.root, linked.name)} with a copy of the archive it points to, then run \`lanspread install ${game.id}\` again`,
    },
  )
}

export async function requireArchives(game: GamePaths): Promise<ArchiveFile[]> {
  const archives = await listArchives(game)
  if (archives.length > 0) return archives
  throw new LanspreadError('not_downloaded', `game ${game.id} has no .eti archive in ${game.root}: nothing to install`, {
    hint: getGameAgainHint(game.id, "the game's .eti archives"),
  })
}

export async function createStaging(game: GamePaths): Promise<void> {
  try {
    await fs.mkdir(game.installing)
    await writeMarker(game)
    await fsyncPath(game.root)
  } catch (error) {
    throw ioError('create', game.installing, error)
  }
}

/** (Re)writes the marker as a regular file: an archive entry of that name must not replace it. */
async function writeMarker(game: GamePaths): Promise<void> {
  const file = path.join(game.installing, OWNED_MARKER)
  await fs.rm(file, {recursive: true, force: true})
  const marker = await fs.open(file, 'wx')
  try {
    await marker.writeFile(MARKER_TEXT)
    await marker.sync()
  } finally {
    await marker.close()
  }
}

export async function extractInto(game: GamePaths, archives: {name: string; size: number}[], options: StagingOptions = {}): Promise<void> {
  const totalBytes = archives.reduce((sum, a) => sum + a.size, 0)
  // Entries land in local/ once staging is renamed: the long-path rule measures from there.
  const names = new PlatformPaths(options.platform ?? process.platform, game.local)
  let done = 0
  for (const [i, archive] of archives.entries()) {
    await extractArchive(path.join(game.root, archive.name), game.installing, {
      names,
      onProgress: (bytesRead) => options.onProgress?.({archive: archive.name, bytesRead: done + bytesRead, totalBytes}),
    })
    done += archive.size
    if (i < archives.length - 1) options.betweenArchives?.()
  }
}

/** Marker and install record rewritten last (an archive entry may carry their names), then all fsynced. */
export async function sealStaging(game: GamePaths, record: InstallRecord): Promise<void> {
  await writeMarker(game).catch((error: unknown) => {
    throw ioError('write the marker in', game.installing, error)
  })
  await writeRecord(game.installing, record)
  await fsyncTree(game.installing)
}
