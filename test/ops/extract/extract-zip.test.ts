// zip extraction of well-formed archives: stored and deflated entries, folders, the
// executable bit, an empty zip, and duplicate names.
import fs from 'node:fs/promises'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {extractArchive} from '../../../src/ops/extract/index.js'
import {rawZip} from './helpers/raw-zip.js'
import {createWorkspace, listTree, removeAll} from './helpers/temp.js'

const created: string[] = []
afterEach(() => removeAll(created))

describe('extractArchive with zip', () => {
  it('extracts stored and deflated entries, nested folders and the executable bit', async () => {
    const ws = await createWorkspace(created)
    const big = Buffer.alloc(200_000)
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251
    const archive = await ws.file(
      'game.eti',
      rawZip([
        {name: 'bin/'},
        {name: 'bin/game.sh', data: '#!/bin/sh\necho game\n', mode: 0o100755},
        {name: 'data/levels/deep/one.map', data: 'level one'},
        {name: 'data/big.pak', data: big, deflate: true},
        {name: 'empty/'},
        {name: 'setuid', data: 'x', mode: 0o104755},
      ]),
    )
    const result = await extractArchive(archive, ws.dest)
    expect(result).toEqual({format: 'zip', files: 4, bytes: 20 + 9 + 200_000 + 1})
    expect(await listTree(ws.dest)).toEqual([
      'bin',
      'bin/game.sh',
      'data',
      'data/big.pak',
      'data/levels',
      'data/levels/deep',
      'data/levels/deep/one.map',
      'empty',
      'setuid',
    ])
    expect((await fs.readFile(path.join(ws.dest, 'data', 'big.pak'))).equals(big)).toBe(true)
    expect(await fs.readFile(path.join(ws.dest, 'data', 'levels', 'deep', 'one.map'), 'utf8')).toBe('level one')
    expect((await fs.stat(path.join(ws.dest, 'bin', 'game.sh'))).mode & 0o111).toBe(0o111)
    expect((await fs.stat(path.join(ws.dest, 'data', 'big.pak'))).mode & 0o111).toBe(0)
    expect((await fs.stat(path.join(ws.dest, 'setuid'))).mode & 0o7000).toBe(0)
  })

  it('extracts an empty zip (only the end record) to nothing', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file('empty.eti', rawZip([]))
    expect(await extractArchive(archive, ws.dest)).toEqual({format: 'zip', files: 0, bytes: 0})
    expect(await listTree(ws.dest)).toEqual([])
  })

  it('lets a later entry of the same name win', async () => {
    const ws = await createWorkspace(created)
    const archive = await ws.file(
      'dup.eti',
      rawZip([
        {name: 'a.txt', data: 'first'},
        {name: 'a.txt', data: 'second'},
      ]),
    )
    await extractArchive(archive, ws.dest)
    expect(await fs.readFile(path.join(ws.dest, 'a.txt'), 'utf8')).toBe('second')
  })
})
