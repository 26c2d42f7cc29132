import {LanspreadCommand} from '../cli/base-command.js'
import {statusText} from '../cli/status-text.js'
import {type RuntimeInfo, runtimeInfo, runtimeText} from '../control/runtime-info.js'
import type {Status} from '../control/status.js'
import {isLanspreadError} from '../errors.js'

export default class StatusCommand extends LanspreadCommand {
  static override summary = 'Whether lanspread serve is running, and what it does: peers, downloads and uploads in progress with their rates, uptime.'
  static override description =
    'Asks the running serve of this state folder through <state>/control.sock. ' +
    'When serve is not running it says so and exits with code 14, so a health check (systemd, a script) can test it. ' +
    'Either way it says the runtime: platform, Node version and which BLAKE3 backend (native or wasm) loads.'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<Status> {
    const {flags} = await this.parse(StatusCommand)
    const status = await this.withApi(this.resolvePaths(flags), (api) => api.status())
    if (!this.jsonEnabled()) this.log(statusText(status))
    return status
  }

  /** Without serve, still exit 14, and say what lanspread loads on this machine (beside the error under --json). */
  override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    const runtime = isLanspreadError(error) && error.code === 'not_running' ? thisMachine() : undefined
    if (runtime === undefined) return super.catch(error)
    if (!this.jsonEnabled()) process.stderr.write(`runtime: ${runtimeText(runtime)}\n`)
    return super.catch(error, {runtime})
  }
}

/** The runtime of this process, or undefined when a bad LANSPREAD_BLAKE3 keeps it from being known. */
function thisMachine(): RuntimeInfo | undefined {
  try {
    return runtimeInfo()
  } catch {
    return undefined
  }
}
