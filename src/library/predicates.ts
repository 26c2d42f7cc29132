// The two independent facts about a game root, by lstat so a folder or symbolic link
// named version.ini, or a symbolic link named local, never counts (SPEC §2.1).
import {lstatOrNull} from '../fs/stat.js'
import {type GamePaths} from './layout.js'

/** downloaded: `<root>/version.ini` is a regular file. */
export async function isDownloaded(game: Pick<GamePaths, 'sentinel'>): Promise<boolean> {
  return (await lstatOrNull(game.sentinel))?.isFile() ?? false
}

/** installed: `<root>/local` is a directory (not a symbolic link to one). */
export async function isInstalled(game: Pick<GamePaths, 'local'>): Promise<boolean> {
  return (await lstatOrNull(game.local))?.isDirectory() ?? false
}
