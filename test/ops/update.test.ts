// Update keeps what the user made in local/ (saves, changed configs, their folders and
// links), by the install record; --clean keeps nothing; a clash rolls back untouched.
import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {GameOperations} from '../../src/ops/game-operations.js'
import {INSTALL_RECORD, InstallRecordSchema} from '../../src/ops/install-record.js'
import {writeTarArchive} from '../helpers/archives.js'
import {makeTempLibrary, setMtime} from '../helpers/temp-library.js'
import {snapshotTree, subtree} from '../helpers/tree.js'

const V1 = {'bin/game.sh': 'v1 game', 'cfg/game.cfg': 'fov=90', 'data/base.pak': 'v1 data', 'data/old.pak': 'only in v1'}
const V2 = {'bin/game.sh': 'v2 game', 'cfg/game.cfg': 'fov=100', 'data/base.pak': 'v2 data', 'data/new.pak': 'only in v2'}

/** An installed game (archive V1) whose archive was then replaced by V2. */
async function installedThenNewArchive(v2: Record<string, string> = V2) {
  const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
  const root = await lib.writeGame('g', {'version.ini': '1'})
  await writeTarArchive(path.join(root, 'g.eti'), V1)
  const operations = new GameOperations(lib.paths)
  await operations.install('g')
  await writeTarArchive(path.join(root, 'g.eti'), v2)
  const local = (...parts: string[]) => path.join(root, 'local', ...parts)
  return {lib, root, operations, local}
}

async function read(file: string): Promise<string> {
  return fs.readFile(file, 'utf8')
}

describe('install --update', () => {
  it('keeps a save the user added and a config they changed; an untouched file becomes the new version', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.mkdir(local('saves'))
    await fs.writeFile(local('saves', 'slot1.sav'), 'my progress')
    await fs.writeFile(local('cfg', 'game.cfg'), 'fov=110')

    const result = await operations.install('g', {update: true})

    expect(result).toMatchObject({action: 'updated', kept_rule: 'record', kept: ['cfg/game.cfg', 'saves/', 'saves/slot1.sav']})
    expect(await read(local('saves', 'slot1.sav'))).toBe('my progress')
    expect(await read(local('cfg', 'game.cfg'))).toBe('fov=110') // the user's copy wins over the archive's
    expect(await read(local('bin', 'game.sh'))).toBe('v2 game')
    expect(await read(local('data', 'new.pak'))).toBe('only in v2')
    // A file only the old archive had goes: it was never the user's.
    await expect(fs.lstat(local('data', 'old.pak'))).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('records what it extracted, without the files a kept copy replaced, so the next update keeps them again', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.writeFile(local('cfg', 'game.cfg'), 'fov=110')
    await operations.install('g', {update: true})
    const record = InstallRecordSchema.parse(JSON.parse(await read(local(INSTALL_RECORD))))
    expect(record.files.map((f) => f.path)).toEqual(['bin/game.sh', 'data/base.pak', 'data/new.pak'])
    expect(record.dirs).toEqual(['bin', 'cfg', 'data'])

    expect(await operations.install('g', {update: true})).toMatchObject({kept: ['cfg/game.cfg']})
    expect(await read(local('cfg', 'game.cfg'))).toBe('fov=110')
  })

  it('tells a changed file by its mtime when its size is the same', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.writeFile(local('cfg', 'game.cfg'), 'fov=45') // same length as fov=90
    await setMtime(local('cfg', 'game.cfg'), 2_000_000_000)
    expect(await operations.install('g', {update: true})).toMatchObject({kept: ['cfg/game.cfg']})
    expect(await read(local('cfg', 'game.cfg'))).toBe('fov=45')
  })

  it('keeps empty folders and symbolic links the user made, and keeps files as hard links (no copy)', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.mkdir(local('screenshots'))
    await fs.mkdir(local('data', 'mods', 'empty'), {recursive: true})
    await fs.symlink('../cfg/game.cfg', local('bin', 'my.cfg'))
    await fs.writeFile(local('big.sav'), Buffer.alloc(1 << 20, 7))
    const inode = (await fs.stat(local('big.sav'))).ino

    const result = await operations.install('g', {update: true})

    expect(result.kept).toEqual(['big.sav', 'bin/my.cfg', 'data/mods/', 'data/mods/empty/', 'screenshots/'])
    expect((await fs.lstat(local('screenshots'))).isDirectory()).toBe(true)
    expect((await fs.lstat(local('data', 'mods', 'empty'))).isDirectory()).toBe(true)
    expect(await fs.readlink(local('bin', 'my.cfg'))).toBe('../cfg/game.cfg')
    expect((await fs.stat(local('big.sav'))).ino).toBe(inode)
  })

  it('copies, keeping the mtime, on a file system without hard links', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.writeFile(local('slot.sav'), 'mine')
    await setMtime(local('slot.sav'), 1_500_000_000)
    const inode = (await fs.stat(local('slot.sav'))).ino
    const noLinks = async () => {
      throw Object.assign(new Error('operation not permitted'), {code: 'EPERM'})
    }
    expect(await operations.install('g', {update: true, link: noLinks})).toMatchObject({kept: ['slot.sav']})
    const stats = await fs.stat(local('slot.sav'))
    expect(await read(local('slot.sav'))).toBe('mine')
    expect(stats.ino).not.toBe(inode)
    expect(stats.mtimeMs).toBe(1_500_000_000_000)
  })

  it('--clean keeps nothing', async () => {
    const {operations, local, root} = await installedThenNewArchive()
    await fs.writeFile(local('slot.sav'), 'mine')
    await fs.writeFile(local('cfg', 'game.cfg'), 'fov=110')
    expect(await operations.install('g', {update: true, clean: true})).toMatchObject({kept: [], kept_rule: 'clean'})
    const tree = subtree(await snapshotTree(root), 'local')
    expect(Object.keys(tree).sort()).toEqual(
      [
        'local',
        'local/.lanspread_owned',
        `local/${INSTALL_RECORD}`,
        'local/bin',
        'local/bin/game.sh',
        'local/cfg',
        'local/cfg/game.cfg',
        'local/data',
        'local/data/base.pak',
        'local/data/new.pak',
      ].sort(),
    )
    expect(tree['local/cfg/game.cfg']).toBe('fov=100')
  })

  it('without an install record (an older lanspread), keeps what the new archives do not have; theirs wins elsewhere', async () => {
    const {operations, local} = await installedThenNewArchive()
    await fs.rm(local(INSTALL_RECORD))
    await fs.writeFile(local('slot.sav'), 'mine')
    await fs.writeFile(local('cfg', 'game.cfg'), 'fov=110')
    const result = await operations.install('g', {update: true})
    expect(result).toMatchObject({kept_rule: 'no_record', kept: ['data/old.pak', 'slot.sav']})
    expect(await read(local('slot.sav'))).toBe('mine')
    expect(await read(local('cfg', 'game.cfg'))).toBe('fov=100')
  })

  it('treats a damaged or linked install record as none', async () => {
    const {operations, local, root} = await installedThenNewArchive()
    await fs.writeFile(path.join(root, 'elsewhere.json'), await read(local(INSTALL_RECORD)))
    await fs.rm(local(INSTALL_RECORD))
    await fs.symlink(path.join(root, 'elsewhere.json'), local(INSTALL_RECORD))
    expect(await operations.install('g', {update: true})).toMatchObject({kept_rule: 'no_record'})
    await fs.writeFile(local(INSTALL_RECORD), '{not json')
    expect(await operations.install('g', {update: true})).toMatchObject({kept_rule: 'no_record'})
  })

  it('refuses, leaving local/ exactly as it was, when a kept file clashes with the new archives', async () => {
    // The user's saves/ folder, where the new archive puts a file named saves.
    const {operations, local, root} = await installedThenNewArchive({...V2, saves: 'a file now'})
    await fs.mkdir(local('saves'))
    await fs.writeFile(local('saves', 'slot1.sav'), 'my progress')
    const before = await snapshotTree(root)
    await expect(operations.install('g', {update: true})).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'game g: cannot keep local/saves (yours, from the previous install): the new archives have a file at local/saves',
    })
    const after = await snapshotTree(root)
    expect(subtree(after, 'local')).toEqual(subtree(before, 'local'))
    expect(Object.keys(after).filter((p) => p.startsWith('.local.'))).toEqual([])
  })

  it('refuses a kept file whose folder became a link in the new archives, never writing through it', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const root = await lib.writeGame('g', {'version.ini': '1'})
    await writeTarArchive(path.join(root, 'g.eti'), {'data/a.pak': 'a', 'real/x': 'x'})
    const operations = new GameOperations(lib.paths)
    await operations.install('g')
    await fs.writeFile(path.join(root, 'local', 'data', 'mine.sav'), 'mine')
    // v2 ships data as a link to real/: the user's data/mine.sav has no real folder to go to.
    const src = await fs.mkdtemp(path.join(lib.gamesDir, 'src-'))
    await fs.mkdir(path.join(src, 'real'))
    await fs.writeFile(path.join(src, 'real', 'x'), 'x')
    await fs.symlink('real', path.join(src, 'data'))
    const tar = await import('tar')
    await tar.create({file: path.join(root, 'g.eti'), cwd: src, portable: true}, ['real', 'data'])
    await expect(operations.install('g', {update: true})).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('a symbolic link at local/data'),
    })
    expect(await read(path.join(root, 'local', 'data', 'mine.sav'))).toBe('mine')
    await expect(fs.lstat(path.join(root, 'real', 'mine.sav'))).rejects.toMatchObject({code: 'ENOENT'})
  })

  it('rewrites the install record when an archive carries an entry of that name', async () => {
    const {operations, local, root} = await installedThenNewArchive()
    await writeTarArchive(path.join(root, 'g.eti'), {...V2, [INSTALL_RECORD]: '{"format":1,"files":[],"links":[],"dirs":[]}'})
    await fs.writeFile(local('slot.sav'), 'mine')
    await operations.install('g', {update: true})
    const record = InstallRecordSchema.parse(JSON.parse(await read(local(INSTALL_RECORD))))
    expect(record.files.map((f) => f.path)).toContain('bin/game.sh')
  })
})

describe('a game that is not installable says why', () => {
  it('version.ini that is a symbolic link', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const root = await lib.writeGame('g', {'real.ini': '1'})
    await writeTarArchive(path.join(root, 'g.eti'), {a: 'a'})
    await fs.symlink('real.ini', path.join(root, 'version.ini'))
    await expect(new GameOperations(lib.paths).install('g')).rejects.toMatchObject({
      code: 'not_downloaded',
      message: `version.ini in ${root} is a symbolic link; lanspread only trusts regular files there (replace it with the file itself)`,
    })
  })

  it('an .eti archive that is a symbolic link', async () => {
    const lib = await makeTempLibrary([{id: 'g', name: 'G'}])
    const root = await lib.writeGame('g', {'version.ini': '1'})
    await writeTarArchive(path.join(root, 'a.eti'), {a: 'a'})
    await writeTarArchive(path.join(lib.gamesDir, 'b.tar'), {b: 'b'})
    await fs.symlink('../b.tar', path.join(root, 'b.eti'))
    await expect(new GameOperations(lib.paths).install('g')).rejects.toMatchObject({
      code: 'invalid_input',
      message: `b.eti in ${root} is a symbolic link; lanspread only trusts regular files there (replace it with the file itself)`,
    })
    expect((await fs.readdir(root)).sort()).toEqual(['a.eti', 'b.eti', 'version.ini'])
  })
})
