// Temp folders for the extraction tests: a parent folder per test holding the archives and
// a `dest` staging folder, so a test can prove nothing was written beside `dest`.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'vitest'
import {type ErrorCode, isLanspreadError, type LanspreadError} from '../../../../src/errors.js'

export interface Workspace {
  parent: string
  dest: string
  /** Writes bytes to `<parent>/<name>` and returns the path. */
  file(name: string, data: Buffer | string): Promise<string>
}

export async function createWorkspace(created: string[]): Promise<Workspace> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-'))
  created.push(parent)
  const dest = path.join(parent, 'dest')
  await fs.mkdir(dest)
  return {
    parent,
    dest,
    async file(name, data) {
      const file = path.join(parent, name)
      await fs.writeFile(file, data)
      return file
    },
  }
}

export async function removeAll(created: string[]): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => fs.rm(dir, {recursive: true, force: true})))
}

/** Every path under `dir`, relative, sorted (links are listed, not followed). */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, {recursive: true})
  return entries.map((entry) => entry.split(path.sep).join('/')).sort()
}

/** Awaits `promise` and asserts that it rejected with a LanspreadError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<LanspreadError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(isLanspreadError(error), `expected a LanspreadError, got ${String(error)}`).toBe(true)
  if (!isLanspreadError(error)) throw error
  expect(error.code).toBe(code)
  return error
}
