// The API through the running serve: each call is one request on its control socket, its
// result parsed with the request's schema; a fetch or an install runs there as a job that
// Ctrl-C can cancel, and a fetch's progress comes from serve's events.
import {randomUUID} from 'node:crypto'
import type {LanspreadPaths} from '../config.js'
import type {CallArgs, CallResult} from '../control/calls.js'
import type {ControlClient} from '../control/client.js'
import type {ControlEventLine} from '../control/events.js'
import type {FetchedGame, FetchResult} from '../control/fetch-documents.js'
import type {CancelResult} from '../control/messages.js'
import {tooFewPeers} from './api-errors.js'
import type {
  DiskHooks,
  FetchHooks,
  FetchRequest,
  InstallHooks,
  InstallRequest,
  JobHooks,
  LanspreadApi,
  PeersDocument,
  PeersRequest,
  RecoverRequest,
  UninstallRequest,
} from './lanspread-api.js'

export interface ServeApiComponents {
  paths: Pick<LanspreadPaths, 'stateDir'>
  warn(message: string): void
}

/** How often `peers --wait` asks serve's peer table again. */
const PEERS_POLL_MS = 200

export class ServeApi implements LanspreadApi {
  readonly via = 'serve'

  constructor(
    private readonly client: ControlClient,
    private readonly components: ServeApiComponents,
  ) {}

  status() {
    return this.client.call('status', {})
  }

  /** Asks serve's peer table until `expect` peers are known or the wait is over. */
  async peers({wait, expect}: PeersRequest = {}): Promise<PeersDocument> {
    const waitMs = (wait ?? (expect === undefined ? undefined : 3) ?? 0) * 1000
    const deadline = Date.now() + waitMs
    for (;;) {
      const {peers} = await this.client.call('peers', {})
      const enough = expect === undefined ? Date.now() >= deadline : peers.length >= expect
      if (enough || Date.now() >= deadline) {
        if (expect !== undefined && peers.length < expect)
          throw tooFewPeers(peers.length, expect, `in the peer table of the serve of ${this.components.paths.stateDir} after ${waitMs / 1000} s`)
        return {peers, source: 'serve'}
      }
      await new Promise((resolve) => setTimeout(resolve, PEERS_POLL_MS))
    }
  }

  forget(peerId: string) {
    return this.client.call('forget', {peer_id: peerId})
  }

  library({id}: {id?: string} = {}) {
    return this.client.call('library', id === undefined ? {} : {id})
  }

  libraryPeers({id}: {id?: string} = {}) {
    return this.client.call('library_peers', id === undefined ? {} : {id})
  }

  scan({full = false}: {full?: boolean} = {}) {
    return this.client.call('scan', {full})
  }

  async fetch(request: FetchRequest, hooks: FetchHooks = {}): Promise<FetchResult> {
    const {onProgress} = hooks
    if (onProgress) {
      await this.client.events((event) => {
        if (event.event === 'download_progress' && request.ids.includes(event.data.id)) onProgress(event.data)
      })
    }
    const result = await this.job('fetch', request, hooks)
    // A one-shot peer warns as it happens; serve logs it on its own stderr, so it is told here.
    for (const line of fallbackWarnings(result.games)) this.components.warn(line)
    return result
  }

  install(request: InstallRequest, hooks: InstallHooks = {}) {
    return this.job('install', request, hooks)
  }

  uninstall(request: UninstallRequest, _hooks?: DiskHooks) {
    return this.client.call('uninstall', request)
  }

  recover(request: RecoverRequest = {}, _hooks?: DiskHooks) {
    return this.client.call('recover', request)
  }

  cancel(job: string): Promise<CancelResult> {
    return this.client.call('cancel', {job})
  }

  events(listener: (event: ControlEventLine) => void): Promise<void> {
    return this.client.events(listener)
  }

  close(): void {
    this.client.close()
  }

  /** Runs the request under a job token of its own, cancellable (through the hook) until it ends. */
  private async job<C extends 'fetch' | 'install'>(command: C, args: CallArgs<C>, hooks: JobHooks): Promise<CallResult<C>> {
    const job = randomUUID()
    // serve gone: the job's own request reports that.
    hooks.onCancellable?.(() => this.cancel(job).catch(() => undefined))
    try {
      return await this.client.call(command, {...args, job})
    } finally {
      hooks.onCancellable?.(undefined)
    }
  }
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
