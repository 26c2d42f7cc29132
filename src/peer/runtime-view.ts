// The parts of a running peer that a fetch and the control handlers use: narrow views, so they
// take what they need instead of the whole PeerRuntime, and runtime.ts, which builds the control
// handler, is not imported back by it (no circle). PeerRuntime implements both.
import type {DownloadProgress} from '../download/progress.js'
import type {Library} from '../library/library.js'
import type {GameOperations} from '../ops/game-operations.js'
import type {GameServer} from '../serving/game-server.js'
import type {LibraryPosition} from '../sync/library-sync.js'
import type {Endpoint} from '../transport/endpoint.js'
import type {PinStore} from '../transport/pins.js'
import type {Certificate} from '../transport/transport-settings.js'
import type {PeerSessions} from './peer-sessions.js'
import type {PeerTable} from './peer-table.js'
import type {RuntimeSettings} from './settings.js'
import type {RunningDownloads} from './swarm/running-downloads.js'

export type LogLevel = 'info' | 'warn'

/** What a fetch needs: the peers and their connections, the library and its operation locks. */
export interface FetchRuntime {
  readonly peerId: string
  readonly certificate: Certificate
  readonly library: Library
  readonly operations: GameOperations
  readonly sessions: PeerSessions
  readonly table: PeerTable
  readonly settings: RuntimeSettings
  /** The downloads running here (the swarm: served, announced, told other peers' Haves). */
  readonly downloads: RunningDownloads
  log(level: LogLevel, message: string): void
}

/** What the control handlers need besides a fetch: status, pins, and the progress event. */
export interface ControlRuntime extends FetchRuntime {
  readonly endpoint: Endpoint
  /** Why QUIC does not run here, when it does not (status says it). */
  readonly quicMissing: string | undefined
  readonly pins: PinStore
  readonly games: GameServer
  position(): LibraryPosition
  emit(event: 'download_progress', progress: DownloadProgress): boolean
}
