// npm leaves optional platform packages that were never published at the pinned version
// out of package-lock.json but keeps them listed under their parent, and `npm ci` then
// refuses the lock. This keeps under each parent only the optional packages the lock holds.
// Run it after any `npm install` that rewrites the lock: node scripts/trim-lock.mjs
import {readFileSync, writeFileSync} from 'node:fs'

const PARENTS = ['node_modules/@matrixai/quic', 'node_modules/@napi-rs/blake-hash']
const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
for (const parent of PARENTS) {
  const entry = lock.packages[parent]
  if (!entry?.optionalDependencies) continue
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!lock.packages[`node_modules/${name}`]) delete entry.optionalDependencies[name]
  }
}
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n')
