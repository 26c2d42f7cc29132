import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ALL_FAILPOINTS} from '../../src/util/failpoints.js'

const SRC = path.join(import.meta.dirname, '../../src')

/** Every string in the source shaped like a failpoint name (`'install.renamed'`, `'index.rev-written'`) outside the list. */
async function namedInSource(): Promise<Set<string>> {
  const names = new Set<string>()
  for (const entry of await fs.readdir(SRC, {recursive: true})) {
    if (!entry.endsWith('.ts') || entry.endsWith('failpoints.ts')) continue
    const text = await fs.readFile(path.join(SRC, entry), 'utf8')
    for (const match of text.matchAll(/'((?:install|update|uninstall|download|index)\.[a-z-]+)'/g)) {
      const name = match[1] ?? ''
      // File names such as 'index.json' share the shape.
      if (!/\.(json|lock|log)$/.test(name)) names.add(name)
    }
  }
  return names
}

describe('the failpoint list', () => {
  it('is one list: every failpoint the source names is in it, and every entry is named', async () => {
    const named = await namedInSource()
    expect([...named].sort()).toEqual([...ALL_FAILPOINTS].sort())
  })
})
