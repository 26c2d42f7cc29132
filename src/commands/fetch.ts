import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {formatBytes, table} from '../cli/render.js'
import {byteProgressBar} from '../cli/progress.js'
import {runServeJob} from '../cli/serve-job.js'
import {attachToServe} from '../control/attach.js'
import type {DownloadProgress} from '../download/progress.js'
import type {LanspreadPaths} from '../config.js'
import {mdnsAllowed} from '../discovery/mdns-switch.js'
import {parsePeerAddress} from '../discovery/static-peers.js'
import {LanspreadError} from '../errors.js'
import {assertGamesDir} from '../library/games-folder.js'
import type {FetchedGame} from '../peer/fetch-games.js'

export default class Fetch extends LanspreadCommand {
  static override summary = 'Download games from every peer that has them, verified chunk by chunk.'
  static override description =
    'Through the running `lanspread serve` when there is one; otherwise as a one-shot peer that finds peers over mDNS (and dials the --peer addresses), downloads and exits. ' +
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
    'wait-peers': Flags.integer({description: 'without serve: seconds to wait (at most) for the peers and their libraries', default: 10, min: 1}),
    mdns: Flags.boolean({description: 'without serve: find peers over mDNS (--no-mdns: only the --peer addresses)', default: true, allowNo: true}),
    interface: Flags.string({description: 'without serve: run mDNS on this interface NAME or IPv4 ADDRESS (repeatable)', multiple: true}),
  }

  async run(): Promise<{games: FetchedGame[]}> {
    const {argv, flags} = await this.parse(Fetch)
    const ids = argv as string[]
    const paths = this.resolvePaths(flags)
    this.setInterruptNotice({message: `the fetch of ${ids.join(', ')} stopped`, hint: resumeHint(ids)})
    const request = {ids, install: flags.install, bulk: flags.bulk, ...(flags.from === undefined ? {} : {from: flags.from})}
    const document =
      (await this.viaServe(paths, request)) ??
      (await this.oneShot(paths, request, flags.peer ?? [], {
        meetTimeoutMs: flags['wait-peers'] * 1000,
        mdns: mdnsAllowed(flags.mdns),
        interfaces: flags.interface ?? [],
      }))
    if (!this.jsonEnabled()) this.log(fetchedTable(document.games))
    return document
  }

  /** Through serve, with its download progress drawn from the event stream on a terminal. */
  private async viaServe(
    paths: LanspreadPaths,
    request: {ids: string[]; install: boolean; bulk: boolean; from?: string},
  ): Promise<{games: FetchedGame[]} | undefined> {
    const client = await attachToServe(paths)
    if (!client) return undefined
    const bar = byteProgressBar(!this.jsonEnabled())
    try {
      if (!this.jsonEnabled() && process.stderr.isTTY) {
        await client.subscribe(({event, data}) => {
          const progress = data as DownloadProgress
          if (event === 'download_progress' && request.ids.includes(progress.id)) bar.update(progress.done_bytes, progress.total_bytes, progressLabel(progress))
        })
      }
      const {result, lateSignal} = await runServeJob<{games: FetchedGame[]}>(client, {
        command: 'fetch',
        args: request,
        what: `the fetch of ${request.ids.join(', ')}`,
        resumeHint: resumeHint(request.ids),
        takeInterrupts: (handler) => this.takeInterrupts(handler),
      })
      // A one-shot peer warns as it happens; serve logs it on its own stderr, so it is told here.
      for (const line of fallbackWarnings(result.games)) this.warnLine(line)
      if (lateSignal) this.warnLine(`the fetch of ${request.ids.join(', ')} had finished in serve before the cancel reached it: nothing was cancelled`)
      return result
    } finally {
      bar.stop()
      client.close()
    }
  }

  private async oneShot(
    paths: LanspreadPaths,
    request: {ids: string[]; install: boolean; bulk: boolean; from?: string},
    peers: string[],
    discovery: {meetTimeoutMs: number; mdns: boolean; interfaces: string[]},
  ): Promise<{games: FetchedGame[]}> {
    // A missing games folder is the first thing to say, before any word about peers.
    await assertGamesDir(paths.gamesDir)
    if (peers.length === 0 && !discovery.mdns) {
      throw new LanspreadError('no_peers', 'no peers to fetch from: lanspread serve is not running, mDNS is off and no --peer was given', {
        hint: `start \`lanspread serve\` (it finds the peers), leave mDNS on, or name them: lanspread fetch ${request.ids.join(' ')} --peer HOST:PORT`,
      })
    }
    const addresses = peers.map(parsePeerAddress)
    // Heavy modules (QUIC, TLS, the downloader) load only for a one-shot fetch.
    const {withOneShotPeer} = await import('../peer/one-shot.js')
    const {fetchGames} = await import('../peer/fetch-games.js')
    const bar = byteProgressBar(!this.jsonEnabled())
    // Up to --wait-peers seconds pass before the first byte: say what happens meanwhile.
    const where = [...peers, ...(discovery.mdns ? ['mDNS'] : [])].join(', ')
    process.stderr.write(`lanspread serve is not running: looking for peers (${where}) for up to ${discovery.meetTimeoutMs / 1000} s…\n`)
    try {
      return await withOneShotPeer({paths, peers: addresses, bulk: request.bulk, ...discovery, log: (m) => this.warnLine(m)}, (runtime) =>
        fetchGames(runtime, {
          ...request,
          onProgress: (_id, progress) => bar.update(progress.done_bytes, progress.total_bytes, progressLabel(progress)),
        }),
      )
    } finally {
      bar.stop()
    }
  }
}

function resumeHint(ids: readonly string[]): string {
  return `the chunks already on disk are kept: \`lanspread fetch ${ids.join(' ')}\` resumes from them`
}

function fallbackWarnings(games: readonly FetchedGame[]): string[] {
  return games.flatMap((game) =>
    game.sources.flatMap((source) =>
      source.fallback_reason === undefined
        ? []
        : [`${game.id}: peer ${source.peer_id}'s bulk TLS port is unusable (${source.fallback_reason}); its chunks came over QUIC`],
    ),
  )
}

function progressLabel(progress: DownloadProgress): string {
  const eta = progress.eta_ms === null ? '' : `, ${Math.ceil(progress.eta_ms / 1000)} s left`
  return `${progress.id} ${formatBytes(progress.rate)}/s from ${progress.sources.length} peer${progress.sources.length === 1 ? '' : 's'}${eta}`
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
      game.install ?? (game.installed ? 'yes' : 'no'),
    ]),
  )
}
