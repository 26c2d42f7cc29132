// The docs a maintainer relies on stay findable: numbered decision records, all indexed, every
// cited doc path present, the README a guide of at most 450 lines, package.json naming no missing entry.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from './helpers/cli.js'

const read = (file: string): Promise<string> => fs.readFile(path.join(REPO_ROOT, file), 'utf8')

async function filesUnder(folder: string, ext: RegExp): Promise<string[]> {
  const entries = await fs.readdir(path.join(REPO_ROOT, folder), {recursive: true, withFileTypes: true})
  return entries.filter((e) => e.isFile() && ext.test(e.name)).map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)))
}

async function exists(file: string): Promise<boolean> {
  return fs.access(path.join(REPO_ROOT, file)).then(
    () => true,
    () => false,
  )
}

describe('docs', () => {
  it('numbers every decision record and indexes it in docs/decisions/README.md and IMPL_DECISIONS.md', async () => {
    const records = (await fs.readdir(path.join(REPO_ROOT, 'docs/decisions'))).filter((f) => f !== 'README.md')
    expect(records.filter((f) => !/^\d{4}-[a-z0-9-]+\.md$/.test(f))).toEqual([])
    const numbers = records.map((f) => f.slice(0, 4))
    expect(new Set(numbers).size).toBe(numbers.length)
    const [index, decisions] = await Promise.all([read('docs/decisions/README.md'), read('IMPL_DECISIONS.md')])
    expect(records.filter((f) => !index.includes(`(${f})`))).toEqual([])
    expect(records.filter((f) => !decisions.includes(`(docs/decisions/${f})`))).toEqual([])
  })

  it('gives every decision record a context, a decision, a consequence and a status', async () => {
    const records = (await fs.readdir(path.join(REPO_ROOT, 'docs/decisions'))).filter((f) => f !== 'README.md')
    const missing: string[] = []
    for (const file of records) {
      const text = await read(path.join('docs/decisions', file))
      for (const part of ['Context', 'Decision', 'Consequence', 'Status'])
        if (!new RegExp(`^(\\*\\*|## |)${part}`, 'm').test(text)) missing.push(`${file}: ${part}`)
    }
    expect(missing).toEqual([])
  })

  it('cites only doc paths that exist (README, docs/, IMPL_DECISIONS.md, src/, test/)', async () => {
    const sources = [
      'README.md',
      'IMPL_DECISIONS.md',
      ...(await filesUnder('docs', /\.md$/)),
      ...(await filesUnder('src', /\.ts$/)),
      ...(await filesUnder('test', /\.ts$/)),
    ]
    const broken: string[] = []
    for (const source of sources) {
      const text = await read(source)
      const cited = [...text.matchAll(/(?:docs\/[\w./-]+\.md|bench\/RESULTS\.md)/g)].map((m) => m[0])
      const linked = [...text.matchAll(/\]\(([\w./-]+\.md)\)/g)].map((m) => path.join(path.dirname(source), String(m[1])))
      for (const file of [...cited, ...linked]) if (!(await exists(file))) broken.push(`${source} → ${file}`)
    }
    expect(broken).toEqual([])
  })

  it('keeps the README a user guide of at most 450 lines, with both set-up commands', async () => {
    const readme = await read('README.md')
    expect(readme.split('\n').length).toBeLessThanOrEqual(450)
    expect(readme).toContain('npm install && npm run demo')
    expect(readme).toContain('npm install && npm test')
  })

  it('names no package.json entry point that the build does not make', async () => {
    const pkg = JSON.parse(await read('package.json')) as {main?: string; types?: string}
    const sourceOf = (entry: string): string => entry.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$|\.js$/, '.ts')
    const missing = [pkg.main, pkg.types].filter((e): e is string => e !== undefined).filter((e) => !e.startsWith('./dist/'))
    for (const entry of [pkg.main, pkg.types]) if (entry !== undefined && !(await exists(sourceOf(entry)))) missing.push(entry)
    expect(missing).toEqual([])
  })
})
