// The README's main-job command runs on the example games folder: keep that folder valid.
import fs from 'node:fs/promises'
import path from 'node:path'
import {expect, it} from 'vitest'
import {REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {makeTempDir} from '../helpers/temp-library.js'

it('scans and installs the example games folder', async () => {
  const games = path.join(await makeTempDir(), 'games')
  await fs.cp(path.join(REPO_ROOT, 'examples', 'games'), games, {recursive: true})
  const scan = await runCli(['scan', '--json', '--games', games])
  expect(scan.exitCode).toBe(0)
  expect(json<{games: {id: string; availability: string}[]}>(scan).games.map((g) => [g.id, g.availability])).toEqual([
    ['demo', 'ready'],
    ['homebrew', 'local_only'],
  ])
  expect((await runCli(['install', 'demo', '--games', games])).exitCode).toBe(0)
  expect(await fs.readFile(path.join(games, 'demo', 'local', 'bin', 'start.sh'), 'utf8')).toContain('demo game running')
})
