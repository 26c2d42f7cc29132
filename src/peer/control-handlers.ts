// What serve does for each control-socket request: the same core calls the commands make on
// disk when serve is not running, so both paths return the same documents. Each request's args
// are parsed with its schema and each handler returns its result type (control/calls.ts).
import {type CallHandlers, type ControlCall, handleCall} from '../control/calls.js'
import type {ControlEventData} from '../control/events.js'
import type {FetchedGame as FetchedGameDocument} from '../control/fetch-documents.js'
import type {NetworkGameSchema} from '../control/library-documents.js'
import {runtimeInfo} from '../control/runtime-info.js'
import {assertSameType} from '../control/same-type.js'
import type {ControlHandler} from '../control/server.js'
import type {DownloadProgress} from '../download/progress.js'
import type {z} from 'zod'
import {ControlJobs} from './control-jobs.js'
import {type FetchedGame, fetchGames} from './fetch-games.js'
import {type NetworkGame, networkLibrary} from '../sync/network-library.js'
import type {BROADCAST_EVENTS, RuntimeEvents} from './runtime-events.js'
import type {ControlRuntime} from './runtime-view.js'

// The runtime's documents are the ones the control schemas describe: a change to one fails the build until the other follows.
assertSameType<FetchedGameDocument, FetchedGame>()
assertSameType<z.infer<typeof NetworkGameSchema>, NetworkGame>()
assertSameType<ControlEventData, {[E in (typeof BROADCAST_EVENTS)[number]]: RuntimeEvents[E][0]}>()

/** Progress events of a download reach subscribers at most this often. */
const PROGRESS_EVENT_MS = 250

/** Calls `emit` at most once per `intervalMs`, always with the newest value; the last value of a burst is not lost. */
function throttled<T>(emit: (value: T) => void, intervalMs: number): (value: T) => void {
  let last = 0
  let pending: T | undefined
  let timer: NodeJS.Timeout | undefined
  return (value) => {
    pending = value
    const wait = last + intervalMs - Date.now()
    if (wait <= 0) {
      last = Date.now()
      emit(value)
      pending = undefined
      return
    }
    timer ??= setTimeout(() => {
      timer = undefined
      last = Date.now()
      if (pending !== undefined) emit(pending)
      pending = undefined
    }, wait)
  }
}

export function controlHandler(runtime: ControlRuntime): ControlHandler {
  const handlers = callHandlers(runtime)
  return (command: ControlCall, args: unknown) => handleCall(handlers, command, args)
}

function callHandlers(runtime: ControlRuntime): CallHandlers {
  const jobs = new ControlJobs()
  const startedAt = Date.now()
  return {
    status: async () => {
      const address = runtime.endpoint.address()
      return {
        running: true,
        peer_id: runtime.peerId,
        host: address.host,
        port: address.port,
        ...runtime.position(),
        started_at: new Date(startedAt).toISOString(),
        uptime_ms: Date.now() - startedAt,
        peers: runtime.table.list(),
        downloads: jobs.downloads(),
        uploads: runtime.games.uploads.list(),
        served: runtime.games.uploads.servedGames(),
        traffic: runtime.endpoint.traffic(),
        runtime: runtimeInfo(),
        transports: runtime.endpoint.offer().transports,
        portable_port: runtime.endpoint.offer().portable_port ?? null,
        quic_missing: runtime.quicMissing ?? null,
      }
    },
    cancel: async ({job}) => jobs.cancel(job),
    peers: async () => ({peers: runtime.table.list()}),
    forget: async ({peer_id}) => ({peer_id, forgotten: await runtime.pins.forget(peer_id)}),
    library: async () => {
      const {library_epoch, library_rev, library_digest, games} = await runtime.library.refresh()
      return {library_epoch, library_rev, library_digest, games}
    },
    library_peers: async ({id}) => ({games: networkLibrary(runtime.library.snapshot().games, runtime.table.records(), id)}),
    scan: async ({full}) => {
      const {library_epoch, library_rev, library_digest, games, report} = await runtime.library.refresh({full: full ?? false})
      return {library_epoch, library_rev, library_digest, games, scan: report}
    },
    // Not cancellable: see docs/decisions/0014-cancel-through-serve.md.
    install: async ({id, update, clean, job}) =>
      jobs.run(job, {kind: 'install', ids: [id], controller: undefined}, () =>
        runtime.operations.install(id, {update: update ?? false, ...(clean === undefined ? {} : {clean})}),
      ),
    uninstall: async ({id, purge}) => runtime.operations.uninstall(id, {purge: purge ?? false}),
    fetch: async ({ids, from, install, bulk, job}) => {
      const progress = throttled((value: DownloadProgress) => runtime.emit('download_progress', value), PROGRESS_EVENT_MS)
      const controller = new AbortController()
      return jobs.run(job, {kind: 'fetch', ids, controller}, (running) =>
        fetchGames(runtime, {
          ids,
          ...(from === undefined ? {} : {from}),
          install: install ?? false,
          bulk: bulk ?? true,
          signal: controller.signal,
          onProgress: (id, value) => {
            running.progress.set(id, value)
            progress(value)
          },
        }),
      )
    },
    recover: async ({ids, dry_run}) => ({games: await runtime.operations.recover(ids, {dryRun: dry_run ?? false})}),
  }
}
