// A mistyped command: a usage error (exit 2) that suggests the nearest command, as the JSON
// error document under --json; on a terminal, @oclif/plugin-not-found asks "Did you mean …?".
import {type Hook, toConfiguredId} from '@oclif/core'
import notFound from '@oclif/plugin-not-found'
import {closestName} from '../closest.js'
import {argvWantsJson, type Failure, reportFailure} from '../failure.js'

/** plugin-not-found ends a declined prompt with this.error(); we report the error ourselves instead. */
class Declined extends Error {}

const hook: Hook.CommandNotFound = async function (options) {
  const {config} = options
  const bin = config.bin
  const names = config.commands
    .filter((c) => !c.hidden)
    .flatMap((c) => [c.id, ...c.aliases])
    .map((id) => toConfiguredId(id, config))
  const typed = toConfiguredId(options.id, config)
  const json = argvWantsJson(process.argv.slice(2))
  const suggestion = typed.startsWith('-') ? undefined : closestName(typed, names)

  // Only a person at a terminal is asked; scripts, pipes and --json never wait on a prompt.
  if (suggestion && !json && process.stdin.isTTY && process.stderr.isTTY) {
    try {
      return await notFound.call(
        {
          ...this,
          error: () => {
            throw new Declined()
          },
        },
        options,
      )
    } catch (error) {
      if (!(error instanceof Declined)) throw error
    }
  }
  reportFailure(unknownCommand(bin, typed, suggestion, names), json)
  return undefined
}

function unknownCommand(bin: string, typed: string, suggestion: string | undefined, names: readonly string[]): Failure {
  const list = `run \`${bin} help\` for the commands (${[...names].sort().join(', ')})`
  if (typed.startsWith('-')) {
    return {code: 'usage', message: `no command given before ${typed}`, hint: `the command comes first, then its flags: \`${bin} COMMAND [FLAGS]\`; ${list}`}
  }
  return {
    code: 'usage',
    message: `unknown command ${typed}`,
    hint: suggestion ? `did you mean \`${bin} ${suggestion}\`? Or ${list}` : list,
  }
}

export default hook
