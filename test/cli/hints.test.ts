// Hints name commands that exist and real game IDs, never placeholders: a static check
// over every source file, so a new hint cannot send a user to a command we do not have.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/cli.js'

const SRC = path.join(REPO_ROOT, 'src')
/** The plugins' commands (help, autocomplete) and ours, from src/commands. */
async function commandNames(): Promise<Set<string>> {
  const files = await fs.readdir(path.join(SRC, 'commands'))
  return new Set(['help', 'autocomplete', ...files.map((f) => f.replace(/\.ts$/, ''))])
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, {withFileTypes: true, recursive: true})
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name))
}

describe('hints in src/', () => {
  it('name only commands that exist', async () => {
    const commands = await commandNames()
    const wrong: string[] = []
    for (const file of await sourceFiles(SRC)) {
      const text = await fs.readFile(file, 'utf8')
      for (const line of text.split('\n')) {
        // `lanspread X …` in code style, or "(lanspread X ID)" in prose: a command the user is told to run.
        for (const match of line.matchAll(/`lanspread ([a-z][a-z-]*)|\(lanspread ([a-z][a-z-]*)(?= \$\{| [A-Z]|\))/g)) {
          const command = (match[1] ?? match[2])!
          if (commands.has(command)) continue
          wrong.push(`${path.relative(REPO_ROOT, file)}: ${line.trim()}`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it('use no placeholder where the real game ID belongs', async () => {
    const placeholders: string[] = []
    for (const file of await sourceFiles(SRC)) {
      const text = await fs.readFile(file, 'utf8')
      for (const line of text.split('\n'))
        if (/lanspread [a-z]+ (ID|<id>|GAME|<game>)\b/.test(line)) placeholders.push(`${path.relative(REPO_ROOT, file)}: ${line.trim()}`)
    }
    expect(placeholders).toEqual([])
  })
})
