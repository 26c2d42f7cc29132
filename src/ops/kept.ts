// Uninstall's keeping (SPEC §3): the old install in .local.backup/ is reduced to what the
// user made (update's carry-over rule), then renamed to <game>/.lanspread-kept/. Only
// deletions and renames, each repeatable, so recovery finishes it after a crash.
import fs from 'node:fs/promises'
import path from 'node:path'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {removeTree, renameDurably} from '../fs/durable.js'
import {renameWithRetry} from '../fs/rename-retry.js'
import {lstatOrNull} from '../fs/stat.js'
import {type GamePaths, OWNED_MARKER} from '../library/layout.js'
import {extractedBy} from './carry-over.js'
import {INSTALL_RECORD, readRecord, walkTree} from './install-record.js'

export interface KeptFiles {
  /** `record`: what the install did not extract or what changed since; `no_record`: everything. */
  rule: 'record' | 'no_record'
  /** Relative POSIX paths kept, in walk order; folders end with "/". */
  kept: string[]
}

/**
 * Deletes from the backup what the archives extracted (and is unchanged), then renames what is
 * left to .lanspread-kept/; leftovers of an earlier kept folder are merged in (the newer wins).
 */
export async function keepBackup(game: GamePaths, afterStrip: () => void = () => undefined): Promise<KeptFiles> {
  await assertKeptIsFolder(game)
  const result = await stripExtracted(game)
  afterStrip()
  // The record goes only once the strip it drives is done: a rerun without it keeps everything left.
  for (const own of [INSTALL_RECORD, OWNED_MARKER]) await rm(path.join(game.backup, own))
  if (await lstatOrNull(game.kept)) {
    result.kept.push(...(await mergeInto(game.kept, game.backup)))
    await removeTree(game.kept, game.root)
  }
  await renameDurably(game.backup, game.kept, game.root)
  return result
}

/** A file (or link) named .lanspread-kept is the user's: refuse rather than touch it. */
export async function assertKeptIsFolder(game: GamePaths): Promise<void> {
  const stats = await lstatOrNull(game.kept)
  if (!stats || stats.isDirectory()) return
  throw new LanspreadError('invalid_input', `game ${game.id}: ${game.kept} exists and is not a folder, so the files you made in local/ cannot be kept there`, {
    hint: `move ${game.kept} out of the game folder, then run \`lanspread uninstall ${game.id}\` again`,
  })
}

async function stripExtracted(game: GamePaths): Promise<KeptFiles> {
  const record = await readRecord(game.backup)
  const fromArchives = record ? extractedBy(record) : async () => false
  const kept: string[] = []
  const folders: string[] = []
  await walkTree(game.backup, async (relative, stats, full) => {
    if (!(await fromArchives(relative, stats, full))) {
      kept.push(stats.isDirectory() ? `${relative}/` : relative)
      return
    }
    if (stats.isDirectory()) folders.push(full)
    else await rm(full)
  })
  // Deepest first: a folder of the archives goes once it is empty, and stays for the user's files in it.
  for (const folder of folders.reverse()) await removeIfEmpty(folder)
  return {rule: record ? 'record' : 'no_record', kept}
}

/** Moves into `to` every entry of `from` whose name is free there, folder by folder; returns them. */
async function mergeInto(from: string, to: string, prefix = ''): Promise<string[]> {
  const moved: string[] = []
  const names = await fs.readdir(from).catch((error: unknown) => {
    throw ioError('list', from, error)
  })
  for (const name of names.sort()) {
    const [source, target] = [path.join(from, name), path.join(to, name)]
    const [there, here] = [await lstatOrNull(target), await lstatOrNull(source)]
    if (!there && here) {
      await renameWithRetry(source, target).catch((error: unknown) => {
        throw ioError('move', source, error)
      })
      moved.push(`${prefix}${name}${here.isDirectory() ? '/' : ''}`)
    } else if (there?.isDirectory() && here?.isDirectory()) {
      moved.push(...(await mergeInto(source, target, `${prefix}${name}/`)))
    }
  }
  return moved
}

async function rm(file: string): Promise<void> {
  await fs.rm(file, {force: true}).catch((error: unknown) => {
    throw ioError('delete', file, error)
  })
}

async function removeIfEmpty(folder: string): Promise<void> {
  try {
    await fs.rmdir(folder)
  } catch (error) {
    if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errnoCode(error) ?? '')) throw ioError('delete', folder, error)
  }
}
