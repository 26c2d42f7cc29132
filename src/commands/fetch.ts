import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {formatBytes, table} from '../cli/render.js'
import {requestServe} from '../control/attach.js'
import type {LanspreadPaths} from '../config.js'
import {parsePeerAddress} from '../discovery/static-peers.js'
import {LanspreadError} from '../errors.js'
import type {FetchedGame} from '../peer/fetch-games.js'

export default class Fetch extends LanspreadCommand {
  static override summary = 'Download games from every peer that has them, verified chunk by chunk.'
  static override description =
    'Through the running `lanspread serve` when there is one; otherwise as a one-shot peer that dials the --peer addresses, downloads and exits. ' +
    'Every chunk is checked against the manifest before it is written; chunks already on disk (an interrupted download, the previous version) are kept. ' +
    'version.ini is written last, so an interrupted download never looks downloaded. --install installs each game once it is downloaded.'

  static override examples = [
    '<%= config.bin %> fetch quake3',
    '<%= config.bin %> fetch quake3 doom --install --json',
    '<%= config.bin %> fetch quake3 --peer 192.168.1.20:4870',
  ]

  static override strict = false
  static override args = {ids: Args.string({description: 'game IDs to download', required: true})}
  static override flags = {
    from: Flags.string({description: 'download only from this peer_id'}),
    install: Flags.boolean({description: 'install each game after its download'}),
    peer: Flags.string({description: 'without serve: a peer HOST:PORT to fetch from (repeatable)', multiple: true}),
    bulk: Flags.boolean({description: 'chunk bytes over TLS-over-TCP where the peer offers it (--no-bulk: QUIC only)', default: true, allowNo: true}),
    'wait-peers': Flags.integer({description: 'without serve: seconds to wait for the --peer peers and their libraries', default: 10, min: 1}),
  }

  async run(): Promise<{games: FetchedGame[]}> {
    const {argv, flags} = await this.parse(Fetch)
    const ids = argv as string[]
    const paths = this.resolvePaths(flags)
    const request = {ids, install: flags.install, bulk: flags.bulk, ...(flags.from === undefined ? {} : {from: flags.from})}
    const viaServe = await requestServe<{games: FetchedGame[]}>(paths, 'fetch', request)
    const document = viaServe?.result ?? (await this.oneShot(paths, request, flags.peer ?? [], flags['wait-peers'] * 1000))
    if (!this.jsonEnabled()) this.log(fetchedTable(document.games))
    return document
  }

  private async oneShot(paths: LanspreadPaths, request: {ids: string[]; install: boolean; bulk: boolean; from?: string}, peers: string[], meetTimeoutMs: number): Promise<{games: FetchedGame[]}> {
    if (peers.length === 0) {
      throw new LanspreadError('no_peers', 'no peers to fetch from: lanspread serve is not running and no --peer was given', {
        hint: `start \`lanspread serve\` (it finds the peers), or name them: lanspread fetch ${request.ids.join(' ')} --peer HOST:PORT`,
      })
    }
    const addresses = peers.map(parsePeerAddress)
    // Heavy modules (QUIC, TLS, the downloader) load only for a one-shot fetch.
    const {withOneShotPeer} = await import('../peer/one-shot.js')
    const {fetchGames} = await import('../peer/fetch-games.js')
    const {byteProgressBar} = await import('../cli/progress.js')
    const bar = byteProgressBar(!this.jsonEnabled())
    try {
      return await withOneShotPeer({paths, peers: addresses, bulk: request.bulk, meetTimeoutMs, log: (m) => this.warnLine(m)}, (runtime) =>
        fetchGames(runtime, {
          ...request,
          onProgress: (id, progress) => bar.update(progress.done_bytes, progress.total_bytes, `${id} ${formatBytes(progress.rate)}/s from ${progress.sources.length} peer${progress.sources.length === 1 ? '' : 's'}`),
        }),
      )
    } finally {
      bar.stop()
    }
  }
}

function fetchedTable(games: readonly FetchedGame[]): string {
  return table(
    ['ID', 'VERSION', 'FETCHED', 'REUSED', 'SECONDS', 'SOURCES', 'RETRIED', 'INSTALLED'],
    games.map((game) => [
      game.id,
      game.eti_version ?? '-',
      formatBytes(game.bytes),
      formatBytes(game.reused_bytes),
      (game.elapsed_ms / 1000).toFixed(1),
      String(game.sources.length),
      String(game.retried_chunks),
      game.installed ? 'yes' : 'no',
    ]),
  )
}
