// bench:scan — cold scan against warm scan on a synthetic library (default 5,000 games ×
// 20 files), measured in one process. Target (issue 2): warm ≤ 10% of cold.
import {mkdirSync, writeFileSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {resolvePaths} from '../src/config.js'
import {Library} from '../src/library/library.js'

const GAMES = Number(process.env.BENCH_GAMES ?? 5000)
/** 20 files a game: the sentinel, two archives at the root, the rest in nested folders. */
const LAYOUT = [
  'version.ini',
  'game.eti',
  'patch.eti',
  ...Array.from({length: 6}, (_, i) => `data/pak${i}.pk3`),
  ...Array.from({length: 6}, (_, i) => `data/maps/map${i}.bsp`),
  ...Array.from({length: 3}, (_, i) => `docs/manual${i}.txt`),
  'redist/setup.exe',
  'readme.txt',
]

function buildLibrary(gamesDir: string): void {
  const catalog = []
  for (let g = 0; g < GAMES; g++) {
    const id = `game-${String(g).padStart(5, '0')}`
    catalog.push({id, name: `Game ${g}`})
    for (const dir of ['data/maps', 'docs', 'redist']) mkdirSync(path.join(gamesDir, id, dir), {recursive: true})
    LAYOUT.forEach((file, i) => writeFileSync(path.join(gamesDir, id, file), file === 'version.ini' ? '1.0\n' : 'x'.repeat(64 + i)))
  }
  writeFileSync(path.join(gamesDir, 'catalog.json'), JSON.stringify(catalog))
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  const result = await work()
  return [performance.now() - started, result]
}

async function main(): Promise<void> {
  const gamesDir = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-bench-scan-'))
  try {
    process.stderr.write(`building ${GAMES} games × ${LAYOUT.length} files in ${gamesDir}…\n`)
    buildLibrary(gamesDir)
    const paths = resolvePaths({games: gamesDir, env: {}})

    const [coldMs, cold] = await time(async () => (await Library.open(paths)).refresh())
    const library = await Library.open(paths)
    const [warmMemoryMs, warm] = await time(() => library.refresh())
    const [warmDiskMs, warmDisk] = await time(async () => (await Library.open(paths)).refresh())
    const indexBytes = (await fs.stat(paths.indexPath)).size

    if (cold.report.rescanned.length !== GAMES || warm.report.rescanned.length !== 0 || warmDisk.report.rescanned.length !== 0) {
      throw new Error('benchmark invariant broken: the cold scan must walk every game and the warm scans none')
    }
    const pct = (ms: number): string => `${((100 * ms) / coldMs).toFixed(1)}%`
    console.log(`library: ${GAMES} games × ${LAYOUT.length} files (${GAMES * LAYOUT.length} files), index.json ${(indexBytes / 1e6).toFixed(1)} MB`)
    console.log(`cold scan (empty index, walks every game, writes the index): ${coldMs.toFixed(0)} ms`)
    console.log(`warm scan, index in memory (serve's periodic scan):          ${warmMemoryMs.toFixed(0)} ms  = ${pct(warmMemoryMs)} of cold`)
    console.log(`warm scan, index loaded from disk (a \`lanspread scan\` run):  ${warmDiskMs.toFixed(0)} ms  = ${pct(warmDiskMs)} of cold`)
    console.log(`target warm ≤ 10% of cold: ${warmMemoryMs <= coldMs * 0.1 ? 'met' : 'NOT met'} (in memory), ${warmDiskMs <= coldMs * 0.1 ? 'met' : 'NOT met'} (from disk)`)
  } finally {
    await fs.rm(gamesDir, {recursive: true, force: true})
  }
}

await main()
