import {Args} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {gameDetails, gamesTable, libraryWarnings} from '../cli/render.js'
import {LanspreadError} from '../errors.js'
import {Library, type LibrarySnapshot} from '../library/library.js'
import type {GameSummary} from '../library/summary.js'

export default class LibraryCommand extends LanspreadCommand {
  static override summary = "Show this peer's game library, or one game of it."
  static override description = 'Refreshes the index first (a warm scan: only changed game folders are walked).'
  static override examples = ['<%= config.bin %> library', '<%= config.bin %> library quake3 --json']

  static override args = {
    id: Args.string({description: 'a game ID: show only that game'}),
  }

  async run(): Promise<LibrarySnapshot | GameSummary> {
    const {args, flags} = await this.parse(LibraryCommand)
    // Library.open, not openLocalState: showing the library needs no peer identity, and
    // must work from a state folder that cannot be written.
    const library = await Library.open(this.resolvePaths(flags), {logger: {warn: (m) => this.warnLine(m)}})
    const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({inMemoryIfReadOnly: true})
    for (const line of libraryWarnings(args.id === undefined ? games : games.filter((g) => g.id === args.id), report.skipped)) this.warnLine(line)
    if (args.id === undefined) {
      if (!this.jsonEnabled()) this.log(gamesTable(games))
      return {library_epoch, library_rev, library_digest, games}
    }
    const game = games.find((candidate) => candidate.id === args.id)
    if (!game) {
      throw new LanspreadError('not_found', `game ${args.id} is not in ${library.paths.gamesDir}`, {
        hint: 'run `lanspread library` to list the games this peer has',
      })
    }
    if (!this.jsonEnabled()) this.log(gameDetails(game))
    return game
  }
}
