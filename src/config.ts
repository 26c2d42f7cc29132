// Resolved paths of one lanspread installation (games folder, state folder, catalog) and
// the tunables shared by the core. Everything else receives these instead of reading env.
import path from 'node:path'

export const STATE_DIR_NAME = '.lanspread'
export const CATALOG_FILE_NAME = 'catalog.json'
export const GAMES_ENV = 'LANSPREAD_GAMES'

export interface PathOptions {
  games?: string | undefined
  stateDir?: string | undefined
  catalog?: string | undefined
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface LanspreadPaths {
  gamesDir: string
  stateDir: string
  catalogPath: string
  indexPath: string
  libraryRevPath: string
  /** `games/<id>.json`: each game's manifest and content hashes. */
  gameFilesDir: string
  peerPath: string
  locksDir: string
  tlsDir: string
}

export function resolvePaths(options: PathOptions = {}): LanspreadPaths {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  // An empty value (LANSPREAD_GAMES= in a script) means "not set", never "the current folder".
  const gamesDir = path.resolve(cwd, options.games || env[GAMES_ENV] || './games')
  const stateDir = path.resolve(cwd, options.stateDir || path.join(gamesDir, STATE_DIR_NAME))
  const catalogPath = path.resolve(cwd, options.catalog || path.join(gamesDir, CATALOG_FILE_NAME))
  return {
    gamesDir,
    stateDir,
    catalogPath,
    indexPath: path.join(stateDir, 'index.json'),
    libraryRevPath: path.join(stateDir, 'library-rev.json'),
    gameFilesDir: path.join(stateDir, 'games'),
    peerPath: path.join(stateDir, 'peer.json'),
    locksDir: path.join(stateDir, 'locks'),
    tlsDir: path.join(stateDir, 'tls'),
  }
}

/** The smallest and largest chunk of a manifest (library/chunk-size.ts picks one per game). */
export const MIN_CHUNK_SIZE = 1024 * 1024
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024

/** How many game folders a scan reads at once. */
export const SCAN_CONCURRENCY = 32

/** version.ini is a one-line sentinel; anything past this is not a version string. */
export const VERSION_INI_MAX_BYTES = 4096
