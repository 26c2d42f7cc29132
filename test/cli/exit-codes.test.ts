import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {EXIT_CODES, exitCodeRows} from '../../src/cli/exit-codes.js'
import {ERROR_CODES} from '../../src/errors.js'
import {REPO_ROOT} from '../helpers/cli.js'

describe('exit codes', () => {
  it('gives every error code its own exit code, with 130 for Ctrl-C and 143 for SIGTERM', () => {
    const codes = ERROR_CODES.map((code) => EXIT_CODES[code])
    expect(new Set(codes).size).toBe(ERROR_CODES.length)
    expect(EXIT_CODES.interrupted).toBe(130)
    expect(EXIT_CODES.terminated).toBe(143)
  })

  it("match the README's table, row for row", async () => {
    const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Exit codes'))
    const documented = [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))
    expect(documented).toEqual(exitCodeRows().map(([code]) => code))
  })
})
