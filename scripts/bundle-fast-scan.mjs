// Part of `npm run build`, after tsc: bundles dist/cli/fast-scan.js (the plain `lanspread
// scan`, run without oclif) and every module of ours it loads into dist/bundle/. A fresh
// Node 20 process pays ~0.6 ms of CPU per ES module it loads (resolve, read, compile, link):
// one file instead of ~35 saves ~20 ms of a warm scan that costs ~350 ms at 5,000 games.
// Packages stay external (loaded from node_modules as usual), and modules imported lazily
// stay lazy (split into chunks). The input is tsc's output, so the bundle runs the very code
// the rest of dist/ runs; its source map leads back to src/.
import {build} from 'esbuild'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

await build({
  entryPoints: [path.join(root, 'dist/cli/fast-scan.js')],
  outdir: path.join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
})
