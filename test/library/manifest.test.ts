import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {manifestHash, manifestSize, readManifest} from '../../src/library/manifest.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

const BASE = {'version.ini': '1.0', 'game.eti': 'archive-bytes', 'data/maps/e1m1.bsp': 'map', 'readme.txt': 'hello'}

describe('manifest', () => {
  it('lists payload files recursively as sorted POSIX paths with sizes', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', BASE)
    const manifest = await readManifest(root)
    expect(manifest.files.map((f) => [f.path, f.size])).toEqual([
      ['data/maps/e1m1.bsp', 3],
      ['game.eti', 13],
      ['readme.txt', 5],
      ['version.ini', 3],
    ])
    expect(manifestSize(manifest)).toBe(24)
  })

  it('excludes local/, the reserved names and symbolic links from files and size', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', {
      ...BASE,
      'local/huge.bin': 'x'.repeat(1000),
      '.local.installing/a': 'x',
      '.local.backup/b': 'x',
      '.lanspread-kept/save.dat': 'the user kept this at uninstall',
      '.version.ini.tmp': 'x',
      '.version.ini.discarded': 'x',
      '.lanspread.json': '{"intent":"None"}',
    })
    await fs.symlink(path.join(root, 'readme.txt'), path.join(root, 'link.txt'))
    await fs.symlink(path.join(root, 'data'), path.join(root, 'linked-dir'))
    const manifest = await readManifest(root)
    expect(manifest.files.map((f) => f.path)).toEqual(['data/maps/e1m1.bsp', 'game.eti', 'readme.txt', 'version.ini'])
    expect(manifestSize(manifest)).toBe(24)
  })

  it('keeps a nested folder named local (only the root-level one is the install)', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', {'data/local/x.txt': 'abc'})
    expect((await readManifest(root)).files.map((f) => f.path)).toEqual(['data/local/x.txt'])
  })

  it('has a manifest_hash that is stable across runs and listing order', async () => {
    const lib = await makeTempLibrary()
    const a = await lib.writeGame('a', BASE)
    // Same files created in the reverse order: a different directory listing order.
    const reversed = Object.fromEntries(Object.entries(BASE).reverse())
    const b = await lib.writeGame('b', reversed)
    const first = manifestHash(await readManifest(a))
    expect(manifestHash(await readManifest(a))).toBe(first)
    expect(manifestHash(await readManifest(b))).toBe(first)
    expect(first).toMatch(/^[0-9a-f]{64}$/)
  })

  it('ignores mtimes in manifest_hash', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', BASE)
    const before = manifestHash(await readManifest(root))
    await fs.utimes(path.join(root, 'readme.txt'), 1000, 1000)
    expect(manifestHash(await readManifest(root))).toBe(before)
  })

  it('changes manifest_hash on a size change or a new file', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', BASE)
    const before = manifestHash(await readManifest(root))
    await fs.writeFile(path.join(root, 'readme.txt'), 'hello!')
    const resized = manifestHash(await readManifest(root))
    expect(resized).not.toBe(before)
    await fs.writeFile(path.join(root, 'data/new.pak'), '')
    expect(manifestHash(await readManifest(root))).not.toBe(resized)
  })

  it('leaves manifest_hash unchanged by anything inside local/', async () => {
    const lib = await makeTempLibrary()
    const root = await lib.writeGame('g', BASE)
    const before = manifestHash(await readManifest(root))
    await lib.writeGame('g', {'local/config.cfg': 'fov 110', 'local/saves/1.sav': 'x'.repeat(5000)})
    expect(manifestHash(await readManifest(root))).toBe(before)
  })
})
