// tar and tar.gz extraction of well-formed archives: contents, folders, modes, links that
// stay inside, link chains in any order, and later entries replacing earlier ones.
import fs from 'node:fs/promises'
import path from 'node:path'
import * as tar from 'tar'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive} from '../../../src/ops/extract/index.js'
import {rawTar} from './helpers/raw-tar.js'
import {createWorkspace, listTree, removeAll, type Workspace} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

/** A small game folder: nested folders, an executable, a 300 kB file. */
async function buildGame(ws: Workspace): Promise<string> {
  const source = path.join(ws.parent, 'source')
  await fs.mkdir(path.join(source, 'bin'), {recursive: true})
  await fs.mkdir(path.join(source, 'data', 'levels', 'deep'), {recursive: true})
  await fs.writeFile(path.join(source, 'bin', 'game.sh'), '#!/bin/sh\necho game\n', {mode: 0o755})
  await fs.chmod(path.join(source, 'bin', 'game.sh'), 0o755)
  await fs.writeFile(path.join(source, 'data', 'levels', 'deep', 'one.map'), 'level one')
  await fs.writeFile(path.join(source, 'data', 'big.pak'), Buffer.alloc(300_000, 7))
  return source
}

async function expectGame(dest: string): Promise<void> {
  expect(await listTree(dest)).toEqual(['bin', 'bin/game.sh', 'data', 'data/big.pak', 'data/levels', 'data/levels/deep', 'data/levels/deep/one.map'])
  expect(await fs.readFile(path.join(dest, 'data', 'levels', 'deep', 'one.map'), 'utf8')).toBe('level one')
  expect((await fs.readFile(path.join(dest, 'data', 'big.pak'))).equals(Buffer.alloc(300_000, 7))).toBe(true)
  expect((await fs.stat(path.join(dest, 'bin', 'game.sh'))).mode & 0o111).toBe(0o111)
  expect((await fs.stat(path.join(dest, 'data', 'big.pak'))).mode & 0o111).toBe(0)
}

describe('extractArchive with tar', () => {
  it.each([
    ['tar', false],
    ['tar.gz', true],
  ] as const)('extracts a %s made by the tar package, keeping folders and the executable bit', async (format, gzip) => {
    const ws = await createWorkspace(created)
    const source = await buildGame(ws)
    const archive = path.join(ws.parent, 'game.eti')
    await tar.create({file: archive, cwd: source, gzip, portable: true}, ['bin', 'data'])
    const result = await extractArchive(archive, ws.dest)
    expect(result).toEqual({format, files: 3, bytes: 300_000 + 'level one'.length + '#!/bin/sh\necho game\n'.length})
    await expectGame(ws.dest)
  })

  it('allows relative links that stay inside the folder and drops setuid bits', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'links.eti',
      rawTar([
        {name: 'data/real.txt', data: 'real'},
        {name: 'lib/link.txt', type: 'symlink', linkname: '../data/real.txt'},
        {name: 'lib/self', type: 'symlink', linkname: '.'},
        {name: 'copy.txt', type: 'hardlink', linkname: 'data/real.txt'},
        {name: 'bin/suid', data: 'x', mode: 0o4755},
      ]),
    )
    const result = await extractArchive(archive, ws.dest)
    expect(result.files).toBe(2)
    expect(await fs.readlink(path.join(ws.dest, 'lib', 'link.txt'))).toBe('../data/real.txt')
    expect(await fs.readFile(path.join(ws.dest, 'lib', 'link.txt'), 'utf8')).toBe('real')
    expect(await fs.readFile(path.join(ws.dest, 'copy.txt'), 'utf8')).toBe('real')
    const mode = (await fs.stat(path.join(ws.dest, 'bin', 'suid'))).mode
    expect(mode & 0o7000).toBe(0)
    expect(mode & 0o100).toBe(0o100)
  })

  it('creates symbolic-link chains whatever their order (tar alone refuses a link to a link)', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'chain.eti',
      rawTar([
        {name: 'lib/libgame.so.1.2', data: 'elf'},
        {name: 'lib/libgame.so.1', type: 'symlink', linkname: 'libgame.so.1.2'},
        {name: 'lib/libgame.so', type: 'symlink', linkname: 'libgame.so.1'},
        {name: 'bin/libs', type: 'symlink', linkname: '../lib'},
      ]),
    )
    await extractArchive(archive, ws.dest)
    expect(await fs.readlink(path.join(ws.dest, 'lib', 'libgame.so'))).toBe('libgame.so.1')
    expect(await fs.readFile(path.join(ws.dest, 'bin', 'libs', 'libgame.so'), 'utf8')).toBe('elf')
  })

  it('lets a later entry replace an earlier link, as tar does', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'replace.eti',
      rawTar([
        {name: 'a.txt', type: 'symlink', linkname: 'b.txt'},
        {name: 'a.txt', data: 'file wins'},
        {name: 'dir', type: 'symlink', linkname: 'other'},
        {name: 'dir/inside.txt', data: 'in a real folder'},
      ]),
    )
    await extractArchive(archive, ws.dest)
    expect((await fs.lstat(path.join(ws.dest, 'a.txt'))).isFile()).toBe(true)
    expect(await fs.readFile(path.join(ws.dest, 'a.txt'), 'utf8')).toBe('file wins')
    expect((await fs.lstat(path.join(ws.dest, 'dir'))).isDirectory()).toBe(true)
    expect(await listTree(ws.dest)).toEqual(['a.txt', 'dir', 'dir/inside.txt'])
  })
})
