// CLI conventions of every command's help: -h is --help, --json is described in our words,
// and usage lines show the --no-X form users type for flags that are on by default.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT, runCli} from '../helpers/cli.js'

describe('help conventions', () => {
  it('-h prints what --help prints', async () => {
    const [short, long] = await Promise.all([runCli(['fetch', '-h']), runCli(['fetch', '--help'])])
    expect(short.exitCode).toBe(0)
    expect(String(short.stdout)).toBe(String(long.stdout))
    expect(String(short.stdout)).toContain('USAGE')
  })

  it('usage lines show --no-bulk and --no-mdns as users type them', async () => {
    const usage = String((await runCli(['fetch', '-h'])).stdout).replace(/\s+/g, ' ')
    expect(usage).toContain('[--no-bulk]')
    expect(usage).toContain('[--no-mdns]')
    expect(usage).not.toContain('[--bulk]')
  })

  it("every command's --json is described in our words, not oclif's", async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {flags: Record<string, {description?: string}>}>
    }
    const commands = Object.entries(manifest.commands)
    expect(commands.length).toBeGreaterThan(8)
    for (const [id, command] of commands) {
      const description = command.flags.json?.description
      expect(description, id).toBeDefined()
      expect(description, id).not.toBe('Format output as json.')
    }
  })
})
