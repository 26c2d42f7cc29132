// The floor of a warm `lanspread scan` (bench:scan): a bare Node process that reads
// index.json and makes the fingerprint's readdir/lstat calls for every game, nothing else.
// Plain JavaScript so that nothing but node itself is loaded. Usage: node scan-floor.mjs GAMES STATE
import {lstatSync, readdirSync, readFileSync} from 'node:fs'

const [gamesDir, stateDir] = process.argv.slice(2)
const index = JSON.parse(readFileSync(`${stateDir}/index.json`, 'utf8'))
let archives = 0
for (const id of Object.keys(index.games)) {
  const root = `${gamesDir}/${id}`
  for (const entry of readdirSync(root, {withFileTypes: true})) {
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.eti')) {
      lstatSync(`${root}/${entry.name}`)
      archives++
    }
  }
  lstatSync(`${root}/version.ini`, {throwIfNoEntry: false})
  lstatSync(`${root}/local`, {throwIfNoEntry: false})
}
process.stdout.write(`${JSON.stringify({games: Object.keys(index.games).length, archives})}\n`)
