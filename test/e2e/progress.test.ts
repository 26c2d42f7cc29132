// The install progress bar appears on a terminal and never in a pipe or under --json.
import {execa} from 'execa'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeTarArchive} from '../helpers/archives.js'
import {CLI, runCli} from '../helpers/cli.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

async function bigGame() {
  const lib = await makeTempLibrary([{id: 'big', name: 'Big'}])
  const root = await lib.writeGame('big', {'version.ini': '1'})
  await writeTarArchive(path.join(root, 'big.eti'), Object.fromEntries(Array.from({length: 8}, (_, i) => [`f${i}.bin`, Buffer.alloc(8 << 20, i)])))
  return lib
}

describe('install progress', () => {
  it('draws a bar on a terminal', async () => {
    const lib = await bigGame()
    // `script` gives the command a pseudo-terminal, as an interactive shell would.
    const result = await execa('script', ['-qec', `node ${CLI} install big --games ${lib.gamesDir}`, '/dev/null'], {
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    })
    expect(result.exitCode).toBe(0)
    expect(String(result.stdout)).toMatch(/\d+% \| [\d.]+ MiB \/ 64\.0 MiB \| big\.eti/)
    expect(String(result.stdout)).toContain('big installed from big.eti')
  })

  it('draws nothing when stderr is not a terminal', async () => {
    const lib = await bigGame()
    const result = await runCli(['install', 'big', '--games', lib.gamesDir])
    expect(result.exitCode).toBe(0)
    // eslint-disable-next-line no-control-regex -- the escape character is what must not appear
    expect(String(result.stderr)).not.toMatch(/%|\u001b/)
  })
})
