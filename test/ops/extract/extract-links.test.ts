// Symbolic links follow one rule in tar and zip: each case runs against both formats. Links
// that stay inside are created as links (relative, in any order); links out are archive_unsafe.
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive} from '../../../src/ops/extract/index.js'
import {rawTar} from './helpers/raw-tar.js'
import {rawZip} from './helpers/raw-zip.js'
import {createWorkspace, expectCode, listTree, removeAll, type Workspace} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

/** An entry in a format-neutral form: a file (data), a folder (name ending in '/') or a link. */
interface Entry {
  name: string
  data?: string
  link?: string
}

const FORMATS = {
  tar: (entries: Entry[]): Buffer =>
    rawTar(
      entries.map((entry) =>
        entry.link !== undefined
          ? {name: entry.name, type: 'symlink', linkname: entry.link}
          : entry.name.endsWith('/')
            ? {name: entry.name, type: 'directory'}
            : {name: entry.name, data: entry.data ?? ''},
      ),
    ),
  zip: (entries: Entry[]): Buffer =>
    rawZip(entries.map((entry) => (entry.link !== undefined ? {name: entry.name, data: entry.link, mode: 0o120777} : {name: entry.name, data: entry.data}))),
}

type Format = keyof typeof FORMATS

async function extract(ws: Workspace, format: Format, entries: Entry[], name = 'game.eti'): Promise<string> {
  const archive = await ws.file(name, FORMATS[format](entries))
  await extractArchive(archive, ws.dest)
  return archive
}

async function refused(ws: Workspace, format: Format, entries: Entry[], entry: string, reason: RegExp): Promise<void> {
  const archive = await ws.file('hostile.eti', FORMATS[format](entries))
  const error = await expectCode(extractArchive(archive, ws.dest), 'archive_unsafe')
  expect(error.message).toContain(archive)
  expect(error.message).toContain(JSON.stringify(entry))
  expect(error.message).toMatch(reason)
  expect(await fs.readFile(path.join(ws.parent, 'x'), 'utf8')).toBe('outside')
}

describe.each(['tar', 'zip'] as const)('symbolic links in %s', (format) => {
  it('creates links that stay inside as relative links', async () => {
    const ws = await createWorkspace(created)
    await extract(ws, format, [
      {name: 'data/real.txt', data: 'real'},
      {name: 'lib/link.txt', link: '../data/real.txt'},
      {name: 'lib/self', link: '.'},
      {name: 'top', link: 'data'},
    ])
    expect(await fs.readlink(path.join(ws.dest, 'lib/link.txt'))).toBe('../data/real.txt')
    expect(await fs.readFile(path.join(ws.dest, 'lib/link.txt'), 'utf8')).toBe('real')
    expect(await fs.readlink(path.join(ws.dest, 'lib/self'))).toBe('.')
    expect(await fs.readFile(path.join(ws.dest, 'top/real.txt'), 'utf8')).toBe('real')
  })

  it('creates a link chain whatever the order of its entries', async () => {
    const ws = await createWorkspace(created)
    await extract(ws, format, [
      {name: 'lib/libgame.so', link: 'libgame.so.1'},
      {name: 'lib/libgame.so.1', link: 'libgame.so.1.2'},
      {name: 'bin/libs', link: '../lib'},
      {name: 'lib/libgame.so.1.2', data: 'elf'},
    ])
    expect(await fs.readFile(path.join(ws.dest, 'bin/libs/libgame.so'), 'utf8')).toBe('elf')
    expect(await fs.readlink(path.join(ws.dest, 'lib/libgame.so'))).toBe('libgame.so.1')
  })

  it('turns a link into a folder when a later entry lies below it, so nothing is written through it', async () => {
    const ws = await createWorkspace(created)
    await extract(ws, format, [
      {name: 'sub/keep.txt', data: 'keep'},
      {name: 'dir', link: 'sub'},
      {name: 'dir/new.txt', data: 'new'},
    ])
    expect((await fs.lstat(path.join(ws.dest, 'dir'))).isDirectory()).toBe(true)
    expect(await listTree(ws.dest)).toEqual(['dir', 'dir/new.txt', 'sub', 'sub/keep.txt'])
  })

  it('lets a later entry replace an earlier link at the same path', async () => {
    const ws = await createWorkspace(created)
    await extract(ws, format, [
      {name: 'a.txt', link: 'b.txt'},
      {name: 'a.txt', data: 'plain'},
    ])
    expect((await fs.lstat(path.join(ws.dest, 'a.txt'))).isFile()).toBe(true)
  })

  it.each([
    ['an absolute target', [{name: 'etc', link: '/etc'}], 'etc', /absolute path \/etc/],
    ['a target that climbs out', [{name: 'sub/up', link: '../../x'}], 'sub/up', /outside the extraction folder/],
    [
      'a chain that climbs back through another link',
      [
        {name: 'deep/a/b/link', link: '../../..'},
        {name: 'top', link: 'deep/a/b/link/..'},
      ],
      'top',
      /climbs back/,
    ],
  ])('refuses a link with %s', async (_label, entries: Entry[], entry, reason) => {
    const ws = await createWorkspace(created)
    await ws.file('x', 'outside')
    await refused(ws, format, [{name: 'ok.txt', data: 'ok'}, ...entries], entry, reason)
  })

  it('refuses a link whose parent path is a link left by an earlier archive', async () => {
    const ws = await createWorkspace(created)
    await ws.file('x', 'outside')
    await extract(ws, format, [{name: 'up', link: '.'}], 'first.eti')
    // "up/esc -> ../x" looks inside from its path in the archive, but up/ is the extraction folder itself.
    await refused(ws, format, [{name: 'up/esc', link: '../x'}], 'up/esc', /through a symbolic link/)
    await expect(fs.lstat(path.join(ws.dest, 'esc'))).rejects.toMatchObject({code: 'ENOENT'})
  })
})

describe('zip link entries', () => {
  it('refuses a link with an empty target (tar itself rejects such a header as damaged)', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('empty.eti', rawZip([{name: 'nothing', data: '', mode: 0o120777}]))
    const error = await expectCode(extractArchive(archive, ws.dest), 'archive_unsafe')
    expect(error.message).toContain('empty target')
  })

  it('refuses a link target longer than a path can be', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('long.eti', rawZip([{name: 'long', data: 'a/'.repeat(2100), mode: 0o120777}]))
    const error = await expectCode(extractArchive(archive, ws.dest), 'archive_unsafe')
    expect(error.message).toContain('longer than 4095 bytes')
  })

  it('reads a deflated link target and counts no link as a file', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'd.eti',
      rawZip([
        {name: 'real.txt', data: 'r'},
        {name: 'l', data: 'real.txt', mode: 0o120777, deflate: true},
      ]),
    )
    expect(await extractArchive(archive, ws.dest)).toEqual({format: 'zip', files: 1, bytes: 1})
    expect(await fs.readlink(path.join(ws.dest, 'l'))).toBe('real.txt')
  })
})
