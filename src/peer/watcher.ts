// Watches the games folder for changes that can move a game's fingerprint: the folder itself
// and each game root, one level deep (the fingerprint is root-level), so a library of
// hundreds of thousands of files costs one watch per game. Events map to a game ID; events
// under local/ or in lanspread's own state folder are not watched at all. A game an operation
// owns is not watched while it runs: its events would be dropped (SPEC §6), and chokidar would
// re-read the folder for each chunk a download writes (record 0044).
import path from 'node:path'
import type {FSWatcher} from 'chokidar'
import {type GameId, isGameId} from '../library/layout.js'

export interface GamesWatcherOptions {
  gamesDir: string
  /** Top-level names that are lanspread's own (state folder, catalog): not games. */
  ownNames: ReadonlySet<string>
  /** The catalog file, watched too when it lives outside the games folder. */
  catalogPath: string
  onGameEvent(id: GameId): void
  onCatalogEvent(): void
  /** The watcher failed (e.g. the inotify limit): serve goes on with its periodic scan. */
  onError(error: unknown): void
}

export interface GamesWatcher {
  /** Stops watching game `id`'s folder (an operation owns it and rescans it when it ends). */
  pause(id: GameId): void
  /** Watches game `id`'s folder again; what changed meanwhile raises no event. */
  resume(id: GameId): void
  close(): Promise<void>
}

export async function watchGames(options: GamesWatcherOptions): Promise<GamesWatcher> {
  // chokidar is a heavy import: only serve loads it.
  const {watch} = await import('chokidar')
  const catalogOutside = path.dirname(options.catalogPath) !== options.gamesDir
  const watcher: FSWatcher = watch(catalogOutside ? [options.gamesDir, options.catalogPath] : options.gamesDir, {
    depth: 1,
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (file) => isIgnored(options, file),
  })
  // chokidar keeps watching the files a paused folder held: their events stop here.
  const paused = new Set<GameId>()
  watcher.on('all', (_event, file) => route(options, file, paused))
  watcher.on('error', (error) => options.onError(error))
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  const root = (id: GameId): string => path.join(options.gamesDir, id)
  return {
    pause: (id) => {
      paused.add(id)
      watcher.unwatch(root(id))
    },
    resume: (id) => {
      if (paused.delete(id)) watcher.add(root(id))
    },
    close: () => watcher.close(),
  }
}

function isIgnored(options: GamesWatcherOptions, file: string): boolean {
  if (file === options.catalogPath) return false
  const parts = relativeParts(options.gamesDir, file)
  if (!parts) return true
  const [top, second] = parts
  if (top === undefined) return false
  if (options.ownNames.has(top) && path.join(options.gamesDir, top) !== options.catalogPath) return true
  // local/ itself matters (installed or not); what is inside it never does.
  return second === 'local' && parts.length > 2
}

function route(options: GamesWatcherOptions, file: string, paused: ReadonlySet<GameId>): void {
  if (file === options.catalogPath) {
    options.onCatalogEvent()
    return
  }
  const top = relativeParts(options.gamesDir, file)?.[0]
  if (top !== undefined && isGameId(top) && !options.ownNames.has(top) && !paused.has(top)) options.onGameEvent(top)
}

/** Path segments below the games folder, or undefined for a path outside it. */
function relativeParts(gamesDir: string, file: string): string[] | undefined {
  const relative = path.relative(gamesDir, file)
  if (relative === '') return []
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return relative.split(path.sep)
}
