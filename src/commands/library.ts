import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {gameDetails, gamesTable, networkGamesTable} from '../cli/render.js'
import type {LanspreadPaths} from '../config.js'
import type {LibraryPeersResult, LibraryResult} from '../control/library-documents.js'
import {LanspreadError} from '../errors.js'
import type {GameSummary} from '../library/summary.js'

export default class LibraryCommand extends LanspreadCommand {
  static override summary = "Show this peer's game library, or one game of it; with --peers, every game on the network and who has it."
  static override description =
    'Refreshes the index first (a warm scan: only changed game folders are walked). Goes through `lanspread serve` when it runs. ' +
    '--peers needs a running serve: it lists every game this peer or any peer it knows has, which peers have it, and at which versions.'

  static override examples = ['<%= config.bin %> library', '<%= config.bin %> library quake3 --json', '<%= config.bin %> library --peers --json']

  static override args = {
    id: Args.string({description: 'a game ID: show only that game'}),
  }

  static override flags = {
    peers: Flags.boolean({description: "every peer's games and who has them (needs a running serve)"}),
  }

  async run(): Promise<LibraryResult | GameSummary | LibraryPeersResult> {
    const {args, flags} = await this.parse(LibraryCommand)
    const paths = this.resolvePaths(flags)
    const id = args.id
    if (flags.peers) return this.networkLibrary(paths, id)
    const snapshot = await this.withApi(paths, (api) => api.library(id === undefined ? {} : {id}))
    if (id === undefined) {
      if (!this.jsonEnabled()) this.log(gamesTable(snapshot.games))
      return snapshot
    }
    const game = snapshot.games.find((candidate) => candidate.id === id)
    if (!game) {
      throw new LanspreadError('not_found', `game ${id} is not in ${paths.gamesDir}`, {
        hint: 'run `lanspread library` to list the games this peer has',
      })
    }
    if (!this.jsonEnabled()) this.log(gameDetails(game))
    return game
  }

  private async networkLibrary(paths: LanspreadPaths, id: string | undefined): Promise<LibraryPeersResult> {
    const result = await this.withApi(paths, (api) => api.libraryPeers(id === undefined ? {} : {id}))
    if (id !== undefined && result.games.length === 0) {
      throw new LanspreadError('not_found', `game ${id} is not on this peer nor on any peer it knows`, {
        hint: 'run `lanspread library --peers` to list every game on the network',
      })
    }
    if (!this.jsonEnabled()) this.log(networkGamesTable(result.games))
    return result
  }
}
