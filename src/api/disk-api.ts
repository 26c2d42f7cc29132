// The API on disk, when no serve runs: this process does the work with the same core calls
// serve makes (library, ops, a one-shot peer), so each call returns serve's document. What only
// a running serve knows (its status, its jobs, its events, the network's library) fails here.
import type {LanspreadPaths} from '../config.js'
import type {FetchResult} from '../control/fetch-documents.js'
import type {ForgetResult, LibraryPeersResult, LibraryResult, ScanResult} from '../control/library-documents.js'
import type {ControlEventLine} from '../control/events.js'
import type {CancelResult} from '../control/messages.js'
import type {InstallResult, RecoverResult, UninstallResult} from '../control/operation-documents.js'
import type {Status} from '../control/status.js'
import {Library} from '../library/library.js'
import {openLocalState} from '../library/open.js'
import {notRunning, serveNotRunning} from './api-errors.js'
import {DEFAULT_DISK_DISCOVERY, type DiskDiscovery, type DiskNetworkComponents, fetchOneShot, peersOverMdns} from './disk-peers.js'
import type {
  DiskHooks,
  FetchHooks,
  FetchRequest,
  InstallHooks,
  InstallRequest,
  LanspreadApi,
  PeersDocument,
  PeersRequest,
  RecoverRequest,
  UninstallRequest,
} from './lanspread-api.js'
import {libraryWarnings} from './library-warnings.js'

export interface DiskApiOptions {
  paths: LanspreadPaths
  warn(message: string): void
  /** A line on stderr that says what is done instead of asking serve (default: written to stderr). */
  say?(message: string): void
  discovery?: Partial<DiskDiscovery>
}

export class DiskApi implements LanspreadApi {
  readonly via = 'disk'
  private readonly network: DiskNetworkComponents

  constructor(private readonly options: DiskApiOptions) {
    this.network = {
      paths: options.paths,
      discovery: {...DEFAULT_DISK_DISCOVERY, ...options.discovery},
      warn: options.warn,
      say: options.say ?? ((message) => process.stderr.write(`${message}\n`)),
    }
  }

  async status(): Promise<Status> {
    throw notRunning(this.options.paths)
  }

  peers(request: PeersRequest = {}): Promise<PeersDocument> {
    return peersOverMdns(this.network, request)
  }

  async forget(peerId: string): Promise<ForgetResult> {
    const {PinStore, pinsDirFor} = await import('../transport/pins.js')
    return {peer_id: peerId, forgotten: await new PinStore(pinsDirFor(this.options.paths.stateDir)).forget(peerId)}
  }

  async library({id}: {id?: string} = {}): Promise<LibraryResult> {
    // Library.open, not openLocalState: showing the library needs no peer identity, and
    // must work from a state folder that cannot be written.
    const library = await Library.open(this.options.paths, {logger: {warn: this.options.warn}})
    const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({inMemoryIfReadOnly: true})
    for (const line of libraryWarnings(id === undefined ? games : games.filter((g) => g.id === id), report.skipped)) this.options.warn(line)
    return {library_epoch, library_rev, library_digest, games}
  }

  async libraryPeers(_request?: {id?: string}): Promise<LibraryPeersResult> {
    throw serveNotRunning(this.options.paths)
  }

  async scan({full = false}: {full?: boolean} = {}): Promise<ScanResult> {
    const {library} = await openLocalState(this.options.paths, {logger: {warn: this.options.warn}})
    const {library_epoch, library_rev, library_digest, games, report} = await library.refresh({full})
    return {library_epoch, library_rev, library_digest, games, scan: report}
  }

  fetch(request: FetchRequest, hooks: FetchHooks = {}): Promise<FetchResult> {
    return fetchOneShot(this.network, request, hooks)
  }

  async install({id, update, clean}: InstallRequest, hooks: InstallHooks = {}): Promise<InstallResult> {
    const operations = await this.operations()
    hooks.onDiskWork?.()
    return operations.install(id, {update, clean, ...(hooks.onProgress ? {onProgress: hooks.onProgress} : {})})
  }

  async uninstall({id, purge}: UninstallRequest, hooks: DiskHooks = {}): Promise<UninstallResult> {
    const operations = await this.operations()
    hooks.onDiskWork?.()
    return operations.uninstall(id, {purge})
  }

  async recover({ids = [], dry_run: dryRun = false}: RecoverRequest = {}, hooks: DiskHooks = {}): Promise<RecoverResult> {
    const operations = await this.operations({readOnly: dryRun})
    hooks.onDiskWork?.()
    return {games: await operations.recover(ids, {dryRun})}
  }

  async cancel(_job: string): Promise<CancelResult> {
    throw notRunning(this.options.paths)
  }

  async events(_listener: (event: ControlEventLine) => void): Promise<void> {
    throw notRunning(this.options.paths)
  }

  close(): void {}

  /** The operations with their library; ops (and its archive readers) load only for these calls. */
  private async operations(options: {readOnly?: boolean} = {}) {
    const {openOperations} = await import('../ops/open.js')
    return openOperations(this.options.paths, {warn: this.options.warn}, options)
  }
}
