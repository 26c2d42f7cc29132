// The one interface of lanspread's commands: every command is a call of it, answered by the
// running serve over its control socket (serve-api.ts) or by this process on disk (disk-api.ts),
// with the same documents either way; open-api.ts picks the one that applies.
import type {CallArgs} from '../control/calls.js'
import type {ControlEventLine} from '../control/events.js'
import type {FetchResult} from '../control/fetch-documents.js'
import type {ForgetResult, LibraryPeersResult, LibraryResult, ScanResult} from '../control/library-documents.js'
import type {CancelResult} from '../control/messages.js'
import type {InstallResult, RecoverResult, UninstallResult} from '../control/operation-documents.js'
import type {Status} from '../control/status.js'
import type {DownloadProgress} from '../download/progress.js'
import type {ExtractionProgress} from '../ops/staging.js'
import type {PeerInfo} from '../words/peer-info.js'

export interface PeersRequest {
  /** Seconds to wait for peers: through serve, for `expect` of them (default 3 with `expect`, else none); on mDNS, to listen (default 3). */
  wait?: number
  /** Fail (`no_peers`) unless at least this many peers are found. */
  expect?: number
}

/** `peers --json`: the peers, and whether serve's peer table or an mDNS browse found them. */
export interface PeersDocument {
  peers: PeerInfo[]
  source: 'serve' | 'mdns'
}

export type FetchRequest = Omit<CallArgs<'fetch'>, 'job'>
export type InstallRequest = Omit<CallArgs<'install'>, 'job'>
export type UninstallRequest = CallArgs<'uninstall'>
export type RecoverRequest = CallArgs<'recover'>

/** Asks serve to cancel the job it runs for this call; undefined when serve did not answer. */
export type CancelJob = () => Promise<CancelResult | undefined>

/** Hooks of a call that serve runs as a job (fetch, install), which Ctrl-C may cancel there. */
export interface JobHooks {
  /**
   * Through serve only: called with `cancel` when the job starts and with undefined when it has
   * ended. On disk the work runs in this process, and an interrupt simply ends it.
   */
  onCancellable?(cancel: CancelJob | undefined): void
}

/** Hooks of a call that changes games. */
export interface DiskHooks {
  /** On disk only: the work starts changing games (an interrupt from now on leaves them to recovery). */
  onDiskWork?(): void
}

export interface FetchHooks extends JobHooks {
  /** Each download's progress: from serve's events, or from the downloader on disk. */
  onProgress?(progress: DownloadProgress): void
}

export interface InstallHooks extends JobHooks, DiskHooks {
  /** On disk only (serve reports no extraction progress): the archive bytes read so far. */
  onProgress?(progress: ExtractionProgress): void
}

export interface LanspreadApi {
  /** Who does the work: the running serve, or this process on disk. */
  readonly via: 'serve' | 'disk'
  /** serve's state; on disk: `not_running` (exit 14). */
  status(): Promise<Status>
  /** The peers serve knows, or those answering mDNS without serve. */
  peers(request?: PeersRequest): Promise<PeersDocument>
  /** Removes the certificate pin of a peer. */
  forget(peerId: string): Promise<ForgetResult>
  /** This peer's library, refreshed (`id`: warnings only about that game). */
  library(request?: {id?: string}): Promise<LibraryResult>
  /** Every game on the network; needs serve (on disk: `no_peers`). */
  libraryPeers(request?: {id?: string}): Promise<LibraryPeersResult>
  scan(request?: {full?: boolean}): Promise<ScanResult>
  fetch(request: FetchRequest, hooks?: FetchHooks): Promise<FetchResult>
  install(request: InstallRequest, hooks?: InstallHooks): Promise<InstallResult>
  uninstall(request: UninstallRequest, hooks?: DiskHooks): Promise<UninstallResult>
  recover(request?: RecoverRequest, hooks?: DiskHooks): Promise<RecoverResult>
  /** Cancels a job serve runs; on disk: `not_running`. */
  cancel(job: string): Promise<CancelResult>
  /** serve's events until close(); on disk: `not_running`. */
  events(listener: (event: ControlEventLine) => void): Promise<void>
  /** Ends the connection to serve (nothing on disk). */
  close(): void
}
