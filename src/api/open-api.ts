// Picks the API's implementation for a command: the running serve when it answers on the
// control socket, else the disk. Only the connect is paid without serve; the serve side and
// zod (which checks serve's answers) load only when serve answers.
import {attachToServe} from '../control/attach.js'
import {DiskApi, type DiskApiOptions} from './disk-api.js'
import type {LanspreadApi} from './lanspread-api.js'

/** The API of this state folder's serve, or the disk's; close() it when done. */
export async function openApi(options: DiskApiOptions): Promise<LanspreadApi> {
  const client = await attachToServe(options.paths)
  if (!client) return new DiskApi(options)
  const {ServeApi} = await import('./serve-api.js')
  return new ServeApi(client, {paths: options.paths, warn: options.warn})
}

/** Runs `work` with the API of this state folder (see openApi), closed afterwards. */
export async function withApi<T>(options: DiskApiOptions, work: (api: LanspreadApi) => Promise<T>): Promise<T> {
  const api = await openApi(options)
  try {
    return await work(api)
  } finally {
    api.close()
  }
}
