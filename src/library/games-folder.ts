// The games folder itself: that it exists, and which of its entries are game roots
// (real folders named like a game ID) and which are ignored.
import type {Stats} from 'node:fs'
import fs from 'node:fs/promises'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {listEntries} from '../fs/stat.js'
import {type GameId, isGameId} from './layout.js'

const GAMES_HINT = 'point lanspread at your games folder with --games PATH or LANSPREAD_GAMES (or create ./games)'

/** The games folder may itself be a symbolic link to a folder (games kept on another disk): it is followed. */
export async function assertGamesDir(gamesDir: string): Promise<void> {
  let stat: Stats
  try {
    stat = await fs.stat(gamesDir)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LanspreadError('not_found', `games folder not found: ${gamesDir}`, {hint: GAMES_HINT})
    throw ioError('open the games folder', gamesDir, error)
  }
  if (stat.isDirectory()) return
  throw new LanspreadError('not_found', `games folder ${gamesDir} is a file, not a folder`, {hint: GAMES_HINT})
}

export interface GameFolders {
  ids: GameId[]
  /** Entries that are not game roots, except lanspread's own (`ownNames`). */
  ignored: string[]
}

export async function listGameFolders(gamesDir: string, ownNames: ReadonlySet<string> = new Set()): Promise<GameFolders> {
  const entries = await listEntries(gamesDir)
  const ids: GameId[] = []
  const ignored: string[] = []
  for (const entry of entries) {
    if (ownNames.has(entry.name)) continue
    // Symbolic links are never followed: a game root is a real folder of the games folder.
    if (entry.isDirectory() && isGameId(entry.name)) ids.push(entry.name)
    else ignored.push(entry.name)
  }
  return {ids: ids.sort(), ignored: ignored.sort()}
}
