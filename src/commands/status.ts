import {LanspreadCommand} from '../cli/base-command.js'
import {statusText} from '../cli/status-text.js'
import {requestServe} from '../control/attach.js'
import {type Status, StatusSchema} from '../control/status.js'
import {LanspreadError} from '../errors.js'

export default class StatusCommand extends LanspreadCommand {
  static override summary = 'Whether lanspread serve is running, and what it does: peers, downloads and uploads in progress with their rates, uptime.'
  static override description =
    'Asks the running serve of this state folder through <state>/control.sock. ' +
    'When serve is not running it says so and exits with code 14, so a health check (systemd, a script) can test it.'

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json']

  async run(): Promise<Status> {
    const {flags} = await this.parse(StatusCommand)
    const paths = this.resolvePaths(flags)
    const viaServe = await requestServe<unknown>(paths, 'status')
    if (!viaServe) {
      throw new LanspreadError('not_running', `lanspread serve is not running for ${paths.stateDir}`, {
        hint: 'start it with `lanspread serve` (or your service manager: see "Running serve as a service" in the README)',
      })
    }
    const parsed = StatusSchema.safeParse(viaServe.result)
    if (!parsed.success)
      throw new LanspreadError('protocol', 'serve answered status with a document this lanspread does not understand', {
        hint: 'run the same lanspread version for serve and the commands',
      })
    if (!this.jsonEnabled()) this.log(statusText(parsed.data))
    return parsed.data
  }
}
