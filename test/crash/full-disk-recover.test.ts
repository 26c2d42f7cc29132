// `lanspread recover` on a disk filled to the last byte: an update killed half way leaves
// its staging and backup behind, the disk fills up, and recover must still roll the game
// back — its space-freeing steps first, then its own bookkeeping (lock, intent, index).
import {randomBytes} from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {gamePaths} from '../../src/library/layout.js'
import {readIntent} from '../../src/ops/intent-log.js'
import {writeTarArchive} from '../helpers/archives.js'
import {json, runCli} from '../helpers/cli.js'
import {missingOutsideCi} from '../helpers/requirements.js'
import {type TinyDisk, mountTinyDisk, tinyDiskUnavailable} from '../helpers/tiny-disk.js'

const unavailable = await tinyDiskUnavailable()
if (unavailable !== undefined) console.warn(`full-disk recover: skipped (${unavailable})`)

async function writeArchive(root: string, version: string): Promise<void> {
  // Random bytes: gzip cannot shrink them, so the staging really takes the space.
  await writeTarArchive(path.join(root, 'g.eti'), {'bin/version.txt': version, 'data/base.pak': randomBytes(96 * 1024)}, {gzip: true})
}

describe.skipIf(missingOutsideCi(unavailable))('recover on a full disk (tmpfs)', () => {
  let disk: TinyDisk
  beforeAll(async () => {
    disk = await mountTinyDisk(1024)
  })
  afterAll(() => disk.unmount())

  it.each(['update.extracted', 'update.carried-over'])(
    'rolls back an update killed at %s with 0 bytes free',
    async (point) => {
      const gamesDir = path.join(disk.dir, point)
      const root = path.join(gamesDir, 'g')
      await fs.mkdir(root, {recursive: true})
      await fs.writeFile(path.join(root, 'version.ini'), '1.0\n')
      await writeArchive(root, 'v1')
      expect((await runCli(['install', 'g', '--games', gamesDir])).exitCode).toBe(0)
      await fs.writeFile(path.join(root, 'local', 'save.dat'), 'precious')
      await writeArchive(root, 'v2')
      const crashed = await runCli(['install', 'g', '--update', '--games', gamesDir], {env: {LANSPREAD_FAILPOINT: point}})
      expect(crashed.signal).toBe('SIGKILL')

      await disk.fill()
      const stats = await fs.statfs(disk.dir)
      expect(stats.bavail).toBe(0)
      try {
        const recovered = await runCli(['recover', '--json', '--games', gamesDir])
        expect(recovered.exitCode, String(recovered.stderr) + String(recovered.stdout)).toBe(0)
        expect(json(recovered)).toMatchObject({games: [{id: 'g', action: 'rolled_back'}]})
      } finally {
        await disk.free()
      }
      // The install before the update, with the user's save; nothing of ours left over.
      expect(await fs.readFile(path.join(root, 'local', 'bin', 'version.txt'), 'utf8')).toBe('v1')
      expect(await fs.readFile(path.join(root, 'local', 'save.dat'), 'utf8')).toBe('precious')
      expect((await fs.readdir(root)).filter((name) => name.startsWith('.local.'))).toEqual([])
      expect(await readIntent(gamePaths(gamesDir, 'g'))).toBe('None')
      // And the game works again: the update now goes through.
      expect((await runCli(['install', 'g', '--update', '--games', gamesDir])).exitCode).toBe(0)
      expect(await fs.readFile(path.join(root, 'local', 'bin', 'version.txt'), 'utf8')).toBe('v2')
      await fs.rm(gamesDir, {recursive: true, force: true})
    },
    60_000,
  )
})
