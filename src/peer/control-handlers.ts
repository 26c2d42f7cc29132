// What serve does for each control-socket command: the same core calls the commands make on
// disk when serve is not running, so both paths return the same documents.
import {z} from 'zod'
import {CancelArgsSchema, JobIdSchema} from '../control/messages.js'
import type {ControlHandler} from '../control/server.js'
import {LanspreadError} from '../errors.js'
import {describeIssues} from '../fs/read-json.js'
import type {DownloadProgress} from '../download/progress.js'
import {ControlJobs} from './control-jobs.js'
import {fetchGames} from './fetch-games.js'
import {networkLibrary} from '../sync/network-library.js'
import type {ControlRuntime} from './runtime-view.js'

const IdArgs = z.object({id: z.string().optional()})
const ScanArgs = z.object({full: z.boolean().optional()})
const InstallArgs = z.object({id: z.string(), update: z.boolean().optional(), clean: z.boolean().optional(), job: JobIdSchema.optional()})
const UninstallArgs = z.object({id: z.string(), purge: z.boolean().optional()})
const RecoverArgs = z.object({ids: z.array(z.string()).default([]), dry_run: z.boolean().optional()})
const ForgetArgs = z.object({peer_id: z.string()})
const FetchArgs = z.object({
  ids: z.array(z.string()).min(1),
  from: z.string().optional(),
  install: z.boolean().optional(),
  bulk: z.boolean().optional(),
  job: JobIdSchema.optional(),
})

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

function parse<S extends z.ZodType>(schema: S, args: unknown, command: string): z.infer<S> {
  const parsed = schema.safeParse(args)
  if (parsed.success) return parsed.data
  throw new LanspreadError('usage', `invalid arguments for ${command}: ${describeIssues(parsed.error)}`)
}

export function controlHandler(runtime: ControlRuntime): ControlHandler {
  const jobs = new ControlJobs()
  const startedAt = Date.now()
  return async (command, args) => {
    switch (command) {
      case 'status': {
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
          traffic: runtime.endpoint.traffic(),
        }
      }
      case 'cancel':
        return jobs.cancel(parse(CancelArgsSchema, args, command).job)
      case 'peers':
        return {peers: runtime.table.list()}
      case 'forget': {
        const {peer_id} = parse(ForgetArgs, args, command)
        return {peer_id, forgotten: await runtime.pins.forget(peer_id)}
      }
      case 'library': {
        parse(IdArgs, args, command)
        const {library_rev, library_epoch, library_digest, games} = await runtime.library.refresh()
        return {library_rev, library_epoch, library_digest, games}
      }
      case 'library_peers': {
        const {id} = parse(IdArgs, args, command)
        return {games: networkLibrary(runtime.library.snapshot().games, runtime.table.records(), id)}
      }
      case 'scan': {
        const {full} = parse(ScanArgs, args, command)
        const {library_rev, library_epoch, library_digest, games, report} = await runtime.library.refresh({full: full ?? false})
        return {library_rev, library_epoch, library_digest, games, scan: report}
      }
      case 'install': {
        const {id, update, clean, job} = parse(InstallArgs, args, command)
        // Not cancellable: see docs/decisions/0014-cancel-through-serve.md.
        return jobs.run(job, {kind: 'install', ids: [id], controller: undefined}, () =>
          runtime.operations.install(id, {update: update ?? false, ...(clean === undefined ? {} : {clean})}),
        )
      }
      case 'uninstall': {
        const {id, purge} = parse(UninstallArgs, args, command)
        return runtime.operations.uninstall(id, {purge: purge ?? false})
      }
      case 'fetch': {
        const {ids, from, install, bulk, job} = parse(FetchArgs, args, command)
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
      }
      case 'recover': {
        const {ids, dry_run} = parse(RecoverArgs, args, command)
        return {games: await runtime.operations.recover(ids, {dryRun: dry_run ?? false})}
      }
    }
  }
}
