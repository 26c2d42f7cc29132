// What every lanspread command shares: the global flags (--games, --state-dir, --catalog,
// --json), resolution of paths, and one way of reporting errors (message, hint, exit code;
// a JSON error document under --json; never a stack trace unless LANSPREAD_DEBUG is set).
import {Command, Flags} from '@oclif/core'
import type {DiskDiscovery} from '../api/disk-peers.js'
import type {LanspreadApi} from '../api/lanspread-api.js'
import {withApi} from '../api/open-api.js'
import {type LanspreadPaths, resolvePaths} from '../config.js'
import {reportFailure, toFailure, writeJson} from './failure.js'
import {commandInterruptNotice, gameInterruptNotice, handleInterrupts, type InterruptNotice, type StopSignal} from './interrupt.js'

export abstract class LanspreadCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    games: Flags.string({
      description: 'games folder [default: ./games]',
      env: 'LANSPREAD_GAMES',
      helpGroup: 'GLOBAL',
    }),
    'state-dir': Flags.string({description: "this peer's state folder [default: <games>/.lanspread]", helpGroup: 'GLOBAL'}),
    catalog: Flags.string({description: 'catalog file [default: <games>/catalog.json]', helpGroup: 'GLOBAL'}),
    // Our words, not oclif's "Format output as json.": what a script can rely on.
    json: Flags.boolean({
      description: 'print one JSON document on stdout and nothing else there (a failure too: {"error": {code, message, hint}})',
      helpGroup: 'GLOBAL',
    }),
  }

  /** What Ctrl-C or SIGTERM reports; commands that change a game name it with explainInterrupt. */
  private interruptNotice: InterruptNotice | undefined
  /** While set, Ctrl-C and SIGTERM call it instead of stopping the command at once. */
  private interruptTakeover: ((signal: StopSignal) => void) | undefined

  private currentInterruptNotice(): InterruptNotice {
    return this.interruptNotice ?? commandInterruptNotice(this.id)
  }

  /** A command that stops cleanly on SIGINT/SIGTERM by itself (serve says goodbye to its peers). */
  static handlesOwnSignals = false

  override async init(): Promise<void> {
    await super.init()
    if ((this.constructor as typeof LanspreadCommand).handlesOwnSignals) return
    handleInterrupts(
      () => this.currentInterruptNotice(),
      () => this.jsonEnabled(),
      () => this.interruptTakeover,
    )
  }

  protected resolvePaths(flags: {games?: string | undefined; 'state-dir'?: string | undefined; catalog?: string | undefined}): LanspreadPaths {
    return resolvePaths({games: flags.games, stateDir: flags['state-dir'], catalog: flags.catalog})
  }

  /**
   * Runs `work` with the API this command calls: the running serve of `paths`, else the disk
   * (warnings on stderr; `discovery` says how peers are found without serve).
   */
  protected withApi<T>(paths: LanspreadPaths, work: (api: LanspreadApi) => Promise<T>, discovery: Partial<DiskDiscovery> = {}): Promise<T> {
    return withApi({paths, warn: (message) => this.warnLine(message), discovery}, work)
  }

  /** From here on, Ctrl-C or SIGTERM says that game `id` is left for recovery and how it gets repaired. */
  protected explainInterrupt(id: string): void {
    this.interruptNotice = gameInterruptNotice(id)
  }

  /** A command waiting on serve handles Ctrl-C itself (it cancels its job there); undefined gives it back. */
  protected takeInterrupts(handler: ((signal: StopSignal) => void) | undefined): void {
    this.interruptTakeover = handler
  }

  protected setInterruptNotice(notice: InterruptNotice): void {
    this.interruptNotice = notice
  }

  /** Warnings and progress go to stderr so stdout stays one JSON document under --json. */
  protected warnLine(message: string): void {
    process.stderr.write(`warning: ${message}\n`)
  }

  /** oclif colourises and pretty-prints through a tokenizer; a script needs plain JSON, and it is much cheaper. */
  override logJson(json: unknown): void {
    writeJson(json)
  }

  /** Whether a failure is printed as one JSON document on stdout (serve, whose --json is its own, says so from argv). */
  protected failsAsJson(): boolean {
    return this.jsonEnabled()
  }

  /** `extra` adds fields beside `error` in the JSON document (status adds this machine's runtime). */
  override async catch(error: Error & {exitCode?: number}, extra: Record<string, unknown> = {}): Promise<unknown> {
    reportFailure(toFailure(error, this.id), this.failsAsJson(), extra)
    if (process.env.LANSPREAD_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`)
    return undefined
  }
}
