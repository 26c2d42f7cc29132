import {LanspreadCommand} from '../cli/base-command.js'
import {statusText} from '../cli/status-text.js'
import type {Status} from '../control/status.js'

export default class StatusCommand extends LanspreadCommand {
  static override summary = 'Whether lanspread serve is running, and what it does: peers, downloads and uploads in progress with their rates, uptime.'
  static override description =
    'Asks the running serve of this state folder through <state>/control.sock. ' +
    'When serve is not running it says so and exits with code 14, so a health check (systemd, a script) can test it.'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<Status> {
    const {flags} = await this.parse(StatusCommand)
    const status = await this.withApi(this.resolvePaths(flags), (api) => api.status())
    if (!this.jsonEnabled()) this.log(statusText(status))
    return status
  }
}
