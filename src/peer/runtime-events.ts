// The events a running serve reports: printed by `serve` (src/cli/serve-log.ts: human lines,
// NDJSON under --json) and streamed to control-socket subscribers. Their names and payloads in
// one place, apart from the runtime; the runtime only emits them.
import type {DownloadProgress} from '../download/progress.js'
import type {PeerRefused} from './admission.js'
import type {PeerLibraryChanged} from './library-sync/sync.js'
import type {PeerInfo} from './peer-table.js'
import type {LogLevel} from './runtime-view.js'
import type {TransportName} from '../words/transports.js'

/** Every event serve reports (NDJSON under --json, and the control socket's stream). */
export interface RuntimeEvents {
  listening: [
    {
      peer_id: string
      host: string
      port: number
      bulk_port: number | null
      /** The peer transports running (record 0033) and the portable one's TCP port. */
      transports: TransportName[]
      portable_port: number | null
      library_rev: number
      library_epoch: string
    },
  ]
  peer_found: [PeerInfo]
  peer_lost: [PeerInfo & {reason: string}]
  peer_updated: [PeerInfo]
  peer_refused: [PeerRefused]
  peer_library_changed: [PeerLibraryChanged]
  library_changed: [{library_rev: number; library_epoch: string; added: string[]; updated: string[]; removed: string[]}]
  download_progress: [DownloadProgress]
  operation_started: [{id: string; kind: string}]
  operation_finished: [{id: string; kind: string}]
  operation_failed: [{id: string; kind: string; code: string; message: string}]
  log: [{level: LogLevel; message: string}]
  stopped: [{reason: string}]
}

/** Events a control-socket subscriber receives. */
export const BROADCAST_EVENTS = [
  'peer_found',
  'peer_lost',
  'peer_updated',
  'peer_refused',
  'peer_library_changed',
  'library_changed',
  'download_progress',
  'operation_started',
  'operation_finished',
  'operation_failed',
] as const

export const RUNTIME_EVENTS = ['listening', ...BROADCAST_EVENTS, 'log', 'stopped'] as const satisfies readonly (keyof RuntimeEvents)[]

/** Receives every runtime event with its one argument (serve prints them). */
export type RuntimeEventSink = (event: keyof RuntimeEvents, data: unknown) => void
