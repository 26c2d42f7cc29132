// Builds throwaway games folders for tests: a catalog, game roots with files, and the
// resolved paths the core takes. Every folder is removed after its test.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {onTestFinished} from 'vitest'
import {type LanspreadPaths, resolvePaths} from '../../src/config.js'

export interface TempLibrary {
  paths: LanspreadPaths
  gamesDir: string
  /** Writes files (relative path → content) under a game root, creating folders. */
  writeGame(id: string, files: Record<string, string | Buffer>): Promise<string>
  writeCatalog(entries: {id: string; name: string}[]): Promise<void>
  file(...parts: string[]): string
}

export async function makeTempDir(prefix = 'lanspread-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  onTestFinished(() => fs.rm(dir, {recursive: true, force: true}))
  return dir
}

export async function makeTempLibrary(catalog: {id: string; name: string}[] = []): Promise<TempLibrary> {
  const gamesDir = await makeTempDir()
  const library: TempLibrary = {
    gamesDir,
    paths: resolvePaths({games: gamesDir, env: {}}),
    file: (...parts) => path.join(gamesDir, ...parts),
    async writeGame(id, files) {
      const root = path.join(gamesDir, id)
      await fs.mkdir(root, {recursive: true})
      for (const [relative, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(root, relative)), {recursive: true})
        await fs.writeFile(path.join(root, relative), content)
      }
      return root
    },
    async writeCatalog(entries) {
      await fs.writeFile(path.join(gamesDir, 'catalog.json'), JSON.stringify(entries))
    },
  }
  await library.writeCatalog(catalog)
  return library
}

/** Sets a file's mtime to a fixed moment, so tests can change it deterministically. */
export async function setMtime(file: string, seconds: number): Promise<void> {
  await fs.utimes(file, seconds, seconds)
}

/** A temp folder for a whole test file (beforeAll); the caller removes it in afterAll. */
export async function makeTempDirOutsideTest(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix))
}
