import {Args, Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {byteProgressBar} from '../cli/progress.js'
import {formatBytes, table} from '../cli/render.js'
import {runServeJob} from '../cli/serve-job.js'
import type {FetchedGame, FetchResult} from '../control/fetch-documents.js'
import type {DownloadProgress} from '../download/progress.js'

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

  async run(): Promise<FetchResult> {
    const {argv, flags} = await this.parse(Fetch)
    const ids = argv.map(String)
    const paths = this.resolvePaths(flags)
    this.setInterruptNotice({message: `the fetch of ${ids.join(', ')} stopped`, hint: resumeHint(ids)})
    const discovery = {peers: flags.peer ?? [], meetTimeoutMs: flags['wait-peers'] * 1000, mdns: flags.mdns, interfaces: flags.interface ?? []}
    const request = {ids, install: flags.install, bulk: flags.bulk, ...(flags.from === undefined ? {} : {from: flags.from})}
    const what = `the fetch of ${ids.join(', ')}`
    const job = {what, resumeHint: resumeHint(ids), takeInterrupts: this.takeInterrupts.bind(this)}
    // Progress from serve's events, or from the downloader on disk; drawn only on a terminal.
    const bar = byteProgressBar(!this.jsonEnabled())
    const onProgress = (progress: DownloadProgress): void => bar.update(progress.done_bytes, progress.total_bytes, progressLabel(progress))
    const {result, lateSignal} = await this.withApi(
      paths,
      async (api) => {
        try {
          return await runServeJob(job, (hooks) => api.fetch(request, {...hooks, ...(bar.drawing ? {onProgress} : {})}))
        } finally {
          bar.stop()
        }
      },
      discovery,
    )
    if (lateSignal) this.warnLine(`${what} had finished in serve before the cancel reached it: nothing was cancelled`)
    if (!this.jsonEnabled()) this.log(fetchedTable(result.games))
    return result
  }
}

function resumeHint(ids: readonly string[]): string {
  return `the chunks already on disk are kept: \`lanspread fetch ${ids.join(' ')}\` resumes from them`
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
