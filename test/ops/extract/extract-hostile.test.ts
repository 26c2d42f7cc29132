// Hostile entries in tar and zip archives: each must fail as archive_unsafe naming archive
// and entry, and leave nothing outside the staging folder (checked in its parent folder).
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive} from '../../../src/ops/extract/index.js'
import {isInside} from '../../../src/ops/extract/entry-rules.js'
import {rawTar, rawTarGz, type RawTarEntry} from './helpers/raw-tar.js'
import {rawZip, type RawZipEntry} from './helpers/raw-zip.js'
import {createWorkspace, expectCode, listTree, removeAll, type Workspace} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

/** Symbolic links under `dest` whose target, read or resolved, lies outside `dest`. */
async function linksOutside(dest: string): Promise<string[]> {
  const outside: string[] = []
  for (const entry of await listTree(dest)) {
    const file = path.join(dest, entry)
    if (!(await fs.lstat(file)).isSymbolicLink()) continue
    const lexical = path.resolve(path.dirname(file), await fs.readlink(file))
    const real = await fs.realpath(file).catch(() => lexical)
    if (!isInside(dest, lexical) || !isInside(await fs.realpath(dest), real)) outside.push(entry)
  }
  return outside
}

/** Extracts, expects archive_unsafe naming archive and entry, and checks nothing left `dest`. */
async function expectRefused(ws: Workspace, archive: string, entry: string): Promise<void> {
  const before = await fs.readdir(ws.parent)
  const error = await expectCode(extractArchive(archive, ws.dest), 'archive_unsafe')
  expect(error.message).toContain(archive)
  expect(error.message).toContain(entry)
  expect((await fs.readdir(ws.parent)).sort()).toEqual(before.sort())
  expect(await fs.readFile(path.join(ws.parent, 'x'), 'utf8')).toBe('outside')
  expect((await fs.stat(path.join(ws.parent, 'x'))).nlink).toBe(1)
  expect(await linksOutside(ws.dest)).toEqual([])
}

async function workspaceWithOutsideFile(): Promise<Workspace> {
  const ws = await createWorkspace(created)
  await ws.file('x', 'outside')
  return ws
}

type TarCase = [string, (parent: string) => RawTarEntry[], string]

const TAR_CASES: TarCase[] = [
  ['a file at ../', () => [{name: '../evil.txt', data: 'evil'}], '../evil.txt'],
  ['a file climbing out of a folder', () => [{name: 'sub/../../evil.txt', data: 'evil'}], 'sub/../../evil.txt'],
  ['a file at an absolute path', (parent) => [{name: `${parent}/abs-evil.txt`, data: 'evil'}], 'abs-evil.txt'],
  ['a symbolic link to /etc', () => [{name: 'etc', type: 'symlink', linkname: '/etc'}], 'etc'],
  ['a symbolic link to ../../x', () => [{name: 'sub/up', type: 'symlink', linkname: '../../x'}], 'sub/up'],
  ['a hard link to ../x', () => [{name: 'h', type: 'hardlink', linkname: '../x'}], 'h'],
  ['a character device', () => [{name: 'dev/null2', type: 'char'}], 'dev/null2'],
  ['a block device', () => [{name: 'dev/sda9', type: 'block'}], 'dev/sda9'],
  ['a FIFO', () => [{name: 'pipe', type: 'fifo'}], 'pipe'],
  [
    'a symbolic link that climbs back through another link',
    () => [
      {name: 'deep/a/b/link', type: 'symlink', linkname: '../../..'},
      {name: 'top', type: 'symlink', linkname: 'deep/a/b/link/..'},
      {name: 'top/x', data: 'overwritten'},
    ],
    'top',
  ],
  [
    'a hard link to a symbolic link',
    () => [
      {name: 'sub/s', type: 'symlink', linkname: '..'},
      {name: 'h', type: 'hardlink', linkname: 'sub/s'},
    ],
    'h',
  ],
]

describe('extractArchive refuses hostile tar entries', () => {
  it.each(TAR_CASES)('%s', async (_label, entries, entryName) => {
    const ws = await workspaceWithOutsideFile()
    const archive = await ws.file('hostile.eti', rawTar([{name: 'ok.txt', data: 'ok'}, ...entries(ws.parent)]))
    await expectRefused(ws, archive, entryName)
    await expect(fs.access(path.join(ws.parent, 'evil.txt'))).rejects.toThrow()
    await expect(fs.access(path.join(ws.parent, 'abs-evil.txt'))).rejects.toThrow()
  })

  it('refuses them in a tar.gz too', async () => {
    const ws = await workspaceWithOutsideFile()
    const archive = await ws.file('hostile.eti', rawTarGz([{name: '../evil.txt', data: 'evil'}]))
    await expectRefused(ws, archive, '../evil.txt')
  })
})

type ZipCase = [string, (parent: string) => RawZipEntry[], string]

const ZIP_CASES: ZipCase[] = [
  ['a file at ../', () => [{name: '../evil.txt', data: 'evil'}], '../evil.txt'],
  ['a file at ..\\ (Windows separators)', () => [{name: '..\\evil.txt', data: 'evil'}], '../evil.txt'],
  ['a file at an absolute path', (parent) => [{name: `${parent}/abs-evil.txt`, data: 'evil'}], 'abs-evil.txt'],
  ['a file under a drive letter', () => [{name: 'C:/evil.txt', data: 'evil'}], 'C:/evil.txt'],
  ['a symbolic link out', () => [{name: 'passwd', data: '/etc/passwd', mode: 0o120777}], 'passwd'],
  ['a symbolic link to ../../x', () => [{name: 'sub/up', data: '../../x', mode: 0o120777}], 'sub/up'],
  ['a deflated symbolic link to the outside file', (parent) => [{name: 'x-link', data: `${parent}/x`, mode: 0o120777, deflate: true}], 'x-link'],
  [
    'a symbolic link that climbs back through another link',
    () => [
      {name: 'deep/a/b/link', data: '../../..', mode: 0o120777},
      {name: 'top', data: 'deep/a/b/link/..', mode: 0o120777},
      {name: 'top/x', data: 'overwritten'},
    ],
    'top',
  ],
  ['a FIFO', () => [{name: 'pipe', mode: 0o010644}], 'pipe'],
]

describe('extractArchive refuses hostile zip entries', () => {
  it.each(ZIP_CASES)('%s', async (_label, entries, entryName) => {
    const ws = await workspaceWithOutsideFile()
    const archive = await ws.file('hostile.eti', rawZip([{name: 'ok.txt', data: 'ok'}, ...entries(ws.parent)]))
    await expectRefused(ws, archive, entryName)
    await expect(fs.access(path.join(ws.parent, 'evil.txt'))).rejects.toThrow()
    await expect(fs.access(path.join(ws.parent, 'abs-evil.txt'))).rejects.toThrow()
  })
})
