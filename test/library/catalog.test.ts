import fs from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {loadCatalog} from '../../src/library/catalog.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

describe('catalog', () => {
  it('loads entries and keeps extra fields', async () => {
    const lib = await makeTempLibrary()
    await fs.writeFile(lib.paths.catalogPath, JSON.stringify([{id: 'q3', name: 'Quake 3', genre: 'fps'}]))
    const catalog = await loadCatalog(lib.paths.catalogPath)
    expect(catalog.get('q3')).toEqual({id: 'q3', name: 'Quake 3', genre: 'fps'})
    expect(catalog.has('other')).toBe(false)
  })

  it.each([
    ['not JSON', '[{"id":', 'not valid JSON'],
    ['not an array', '{"id":"a","name":"A"}', 'invalid'],
    ['an invalid ID', '[{"id":"../etc","name":"x"}]', '[0].id'],
    ['an empty name', '[{"id":"a","name":""}]', '[0].name'],
    ['a duplicate ID', '[{"id":"a","name":"A"},{"id":"a","name":"B"}]', 'duplicate game ID "a"'],
  ])('is an invalid_input error naming the file when %s', async (_, content, fragment) => {
    const lib = await makeTempLibrary()
    await fs.writeFile(lib.paths.catalogPath, content)
    const error = await loadCatalog(lib.paths.catalogPath).catch((e: unknown) => e)
    expect(error).toMatchObject({code: 'invalid_input', message: expect.stringContaining(lib.paths.catalogPath)})
    expect((error as Error).message).toContain(fragment)
    expect((error as {hint?: string}).hint).toMatch(/--catalog/)
  })

  it('is empty when the file is missing', async () => {
    const lib = await makeTempLibrary()
    await fs.rm(lib.paths.catalogPath)
    expect((await loadCatalog(lib.paths.catalogPath)).size).toBe(0)
  })

  it('says a catalog path that is a folder is a folder, not a catalog file', async () => {
    const lib = await makeTempLibrary()
    await fs.rm(lib.paths.catalogPath)
    await fs.mkdir(lib.paths.catalogPath)
    await expect(loadCatalog(lib.paths.catalogPath)).rejects.toMatchObject({
      code: 'invalid_input',
      message: `catalog ${lib.paths.catalogPath} is a folder, not a catalog file`,
      hint: expect.stringContaining('--catalog'),
    })
  })
})
