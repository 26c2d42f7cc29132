// The top-level help (`lanspread`, `lanspread help`, `lanspread --help`): oclif's command
// list, then the global flags, environment variables, exit codes and one example per command.
import {type Command, CommandHelp, Help} from '@oclif/core'
import {LanspreadCommand} from './base-command.js'
import {exitCodeRows} from './exit-codes.js'

/** Every environment variable lanspread reads. */
export const ENVIRONMENT: readonly [string, string][] = [
  ['LANSPREAD_GAMES', 'the games folder, when --games is not given'],
  ['LANSPREAD_DEBUG', 'set to 1 to print stack traces with errors'],
  ['LANSPREAD_BLAKE3', 'set to wasm to hash with blake3-wasm instead of the native BLAKE3'],
  ['LANSPREAD_FAILPOINT', 'for crash tests: kill the process at a named step (see IMPL_DECISIONS.md)'],
]

/**
 * oclif writes a flag that is on by default (`--[no-]bulk`) as `[--bulk]` in the usage line;
 * users type the `--no-` form, so the line shows that.
 */
class LanspreadCommandHelp extends CommandHelp {
  protected override usage(): string {
    let text = super.usage()
    for (const [name, flag] of Object.entries(this.command.flags ?? {})) {
      // The manifest drops boolean defaults; every --[no-]X flag of ours is on by default.
      if (flag.type === 'boolean' && flag.allowNo === true && flag.default !== false) text = text.replace(`[--${name}]`, `[--no-${name}]`)
    }
    return text
  }
}

export default class LanspreadHelp extends Help {
  protected override CommandHelpClass = LanspreadCommandHelp
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(this.section('GLOBAL FLAGS', globalFlagRows()))
    this.log('')
    this.log(this.section('ENVIRONMENT', [...ENVIRONMENT]))
    this.log('')
    this.log(
      this.section(
        'EXIT CODES',
        exitCodeRows().map(([code, meaning]): [string, string] => [String(code), meaning]),
      ),
    )
    this.log('')
    this.log(this.section('EXAMPLES', this.exampleLines()))
    this.log('')
  }

  /** The first example of every visible command, so each command shows how it is called. */
  private exampleLines(): string {
    return this.sortedCommands
      .filter((command) => !command.hidden)
      .map((command) => firstExample(command) ?? `<%= config.bin %> ${command.id}`)
      .map((example) => `$ ${this.render(example).replace(/^\$\s*/, '')}`)
      .join('\n')
  }
}

function globalFlagRows(): [string, string][] {
  return Object.entries(LanspreadCommand.baseFlags).map(([name, flag]): [string, string] => {
    const env = 'env' in flag && typeof flag.env === 'string' ? ` (env ${flag.env})` : ''
    return [flag.type === 'boolean' ? `--${name}` : `--${name}=<value>`, `${flag.description ?? ''}${env}`]
  })
}

function firstExample(command: Command.Loadable): string | undefined {
  const example = command.examples?.[0]
  if (example === undefined) return undefined
  return typeof example === 'string' ? example : example.command
}
