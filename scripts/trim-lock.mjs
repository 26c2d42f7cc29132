// npm leaves optional platform packages that were never published at the pinned version
// out of package-lock.json but keeps them listed under their parent, and `npm ci` then
// refuses the lock. This keeps under each parent only the optional packages the lock holds.
// Today only @matrixai/quic 2.0.9 needs it (its win32/darwin packages stop at 1.2.12);
// @napi-rs/blake-hash 1.3.4 publishes all it lists (record 0036).
// Run it after any `npm install` that rewrites the lock: node scripts/trim-lock.mjs
import {readFileSync, writeFileSync} from 'node:fs'

const PARENTS = ['node_modules/@matrixai/quic', 'node_modules/@napi-rs/blake-hash']
const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
for (const parent of PARENTS) {
  const entry = lock.packages[parent]
  if (!entry?.optionalDependencies) continue
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (lock.packages[`node_modules/${name}`]) continue
    delete entry.optionalDependencies[name]
    console.log(`trim-lock: ${parent} lists ${name}, which is not published at its version: dropped`)
  }
}
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n')
