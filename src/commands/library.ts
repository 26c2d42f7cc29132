import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {gameDetails, gamesTable, libraryWarnings, networkGamesTable} from '../cli/render.js'
import {requestServe, serveNotRunning} from '../control/attach.js'
import type {LanspreadPaths} from '../config.js'
import {LanspreadError} from '../errors.js'
import {Library, type LibrarySnapshot} from '../library/library.js'
import type {GameSummary} from '../library/summary.js'
import type {NetworkGame} from '../sync/network-library.js'

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

  async run(): Promise<LibrarySnapshot | GameSummary | {games: NetworkGame[]}> {
    const {args, flags} = await this.parse(LibraryCommand)
    const paths = this.resolvePaths(flags)
    if (flags.peers) return this.networkLibrary(paths, args.id)
    const viaServe = await requestServe<LibrarySnapshot>(paths, 'library')
    const snapshot = viaServe?.result ?? (await this.libraryOnDisk(paths, args.id))
    if (args.id === undefined) {
      if (!this.jsonEnabled()) this.log(gamesTable(snapshot.games))
      return snapshot
    }
    const game = snapshot.games.find((candidate) => candidate.id === args.id)
    if (!game) {
      throw new LanspreadError('not_found', `game ${args.id} is not in ${paths.gamesDir}`, {
        hint: 'run `lanspread library` to list the games this peer has',
      })
    }
    if (!this.jsonEnabled()) this.log(gameDetails(game))
    return game
  }

  private async libraryOnDisk(paths: LanspreadPaths, id: string | undefined): Promise<LibrarySnapshot> {
    // Library.open, not openLocalState: showing the library needs no peer identity, and
    // must work from a state folder that cannot be written.
    const library = await Library.open(paths, {logger: {warn: (m) => this.warnLine(m)}})
    const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({inMemoryIfReadOnly: true})
    for (const line of libraryWarnings(id === undefined ? games : games.filter((g) => g.id === id), report.skipped)) this.warnLine(line)
    return {library_epoch, library_rev, library_digest, games}
  }

  private async networkLibrary(paths: LanspreadPaths, id: string | undefined): Promise<{games: NetworkGame[]}> {
    const viaServe = await requestServe<{games: NetworkGame[]}>(paths, 'library_peers', id === undefined ? {} : {id})
    if (!viaServe) {
      throw serveNotRunning(paths)
    }
    if (id !== undefined && viaServe.result.games.length === 0) {
      throw new LanspreadError('not_found', `game ${id} is not on this peer nor on any peer it knows`, {
        hint: 'run `lanspread library --peers` to list every game on the network',
      })
    }
    if (!this.jsonEnabled()) this.log(networkGamesTable(viaServe.result.games))
    return viaServe.result
  }
}
