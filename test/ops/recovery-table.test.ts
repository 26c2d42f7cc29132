import fs from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {gamePaths, OWNED_MARKER} from '../../src/library/layout.js'
import {readIntent} from '../../src/ops/intent-log.js'
import {type Presence, RECOVERY_TABLE, ownership, recoveryTableMarkdown} from '../../src/ops/recovery-table.js'
import {recoverGame} from '../../src/ops/recovery.js'
import {makeTempLibrary} from '../helpers/temp-library.js'
import {snapshotTree, subtree} from '../helpers/tree.js'

async function reservedFolder(dir: string, presence: Presence, label: string): Promise<void> {
  if (presence === 'absent') return
  await fs.mkdir(dir)
  await fs.writeFile(path.join(dir, 'which.txt'), label)
  if (presence === 'marked') await fs.writeFile(path.join(dir, OWNED_MARKER), '')
}

describe('recovery decision table', () => {
  it.each(RECOVERY_TABLE.map((row) => [`${row.intent} | local ${row.local ? 'dir' : 'absent'} | installing ${row.installing} | backup ${row.backup}`, row]))(
    '%s',
    async (_, row) => {
      const lib = await makeTempLibrary()
      const root = await lib.writeGame('g', {'version.ini': '1', 'g.eti': 'archive', '.version.ini.tmp': 'x', '.version.ini.discarded': 'y'})
      const game = gamePaths(lib.gamesDir, 'g')
      await fs.writeFile(game.intentLog, row.intent === 'Unreadable' ? '{"intent": "Insta' : JSON.stringify({intent: row.intent}))
      await fs.writeFile(`${game.intentLog}.1234`, 'temp of an interrupted atomic write')
      if (row.local) await lib.writeGame('g', {'local/which.txt': 'local', 'local/user-save.dat': 'the user owns this'})
      await reservedFolder(game.installing, row.installing, 'installing')
      await reservedFolder(game.backup, row.backup, 'backup')
      const before = await snapshotTree(root)

      // --dry-run plans the table's steps and changes nothing.
      const plan = await recoverGame(game, {dryRun: true})
      // The scratch planted above is all there is to do where the table says nothing_to_do.
      expect(plan).toMatchObject({intent: row.intent, steps: row.steps, action: row.outcome === 'nothing_to_do' ? 'scratch_removed' : row.outcome})
      expect(await snapshotTree(root)).toEqual(before)

      const report = await recoverGame(game)
      expect(report.steps).toEqual(row.steps)
      const after = await snapshotTree(root)

      // The log is readable and says None; no scratch or temp file of ours is left.
      expect(await readIntent(game)).toBe('None')
      expect(Object.keys(after).filter((p) => p.startsWith('.version.ini.') || p.startsWith('.lanspread.json.'))).toEqual([])
      // A reserved folder is gone when it was ours and untouched when it was not.
      for (const [name, presence] of [
        ['.local.installing', row.installing],
        ['.local.backup', row.backup],
      ] as const) {
        const owner = ownership(row.intent, name === '.local.installing' ? 'installing' : 'backup', presence)
        if (owner === 'foreign') expect(subtree(after, name)).toEqual(subtree(before, name))
        else expect(subtree(after, name)).toEqual({})
      }
      // An existing local/ is never touched; a missing one comes back from our backup
      // (the install before the operation) unless the operation was an uninstall.
      const restorable = !row.local && ownership(row.intent, 'backup', row.backup) === 'ours' && row.intent !== 'Uninstalling'
      if (row.local) expect(subtree(after, 'local')).toEqual(subtree(before, 'local'))
      else if (restorable) expect(after['local/which.txt']).toBe('backup')
      else expect(subtree(after, 'local')).toEqual({})
      // An uninstall finished by recovery keeps what the user made (no install record here:
      // everything of the backup but our marker) in .lanspread-kept; nothing else makes one.
      const finishesUninstall = row.intent === 'Uninstalling' && ownership(row.intent, 'backup', row.backup) === 'ours'
      expect(subtree(after, '.lanspread-kept')).toEqual(finishesUninstall ? {'.lanspread-kept': '<dir>', '.lanspread-kept/which.txt': 'backup'} : {})
      // The payload is never touched.
      expect([after['version.ini'], after['g.eti']]).toEqual(['1', 'archive'])

      // Recovery is idempotent.
      expect((await recoverGame(game)).steps).toEqual([])
      expect(await snapshotTree(root)).toEqual(after)
    },
  )

  it('covers every intent × local × installing × backup combination', () => {
    expect(RECOVERY_TABLE).toHaveLength(5 * 2 * 3 * 3)
  })

  it('is written out, row for row, in IMPL_DECISIONS.md', async () => {
    const decisions = await fs.readFile(fileURLToPath(new URL('../../IMPL_DECISIONS.md', import.meta.url)), 'utf8')
    expect(decisions).toContain(recoveryTableMarkdown())
  })

  it('treats a missing intent log as None', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'.local.installing/which.txt': 'user'})
    const report = await recoverGame(gamePaths(lib.gamesDir, 'g'))
    expect(report).toMatchObject({intent: 'None', steps: [], action: 'nothing_to_do'})
    expect(await fs.readFile(lib.file('g', '.local.installing', 'which.txt'), 'utf8')).toBe('user')
  })

  it('refuses to restore a backup over a file named local', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {local: 'a file', '.local.backup/which.txt': 'backup', '.lanspread.json': '{"intent":"Updating"}'})
    await expect(recoverGame(gamePaths(lib.gamesDir, 'g'))).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('local exists and is not a folder'),
    })
    expect(await fs.readFile(lib.file('g', 'local'), 'utf8')).toBe('a file')
    expect(await fs.readFile(lib.file('g', '.local.backup', 'which.txt'), 'utf8')).toBe('backup')
    expect(await readIntent(gamePaths(lib.gamesDir, 'g'))).toBe('Updating')
  })

  it('treats a reserved name that is a file, not a folder, as not ours', async () => {
    const lib = await makeTempLibrary()
    await lib.writeGame('g', {'.local.backup': 'a file the user made', '.lanspread.json': '{"intent":"Updating"}'})
    const report = await recoverGame(gamePaths(lib.gamesDir, 'g'))
    expect(report.observed).toMatchObject({backup: 'absent', not_folders: ['.local.backup']})
    expect(await fs.readFile(lib.file('g', '.local.backup'), 'utf8')).toBe('a file the user made')
  })
})
