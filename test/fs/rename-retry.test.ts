import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {writeFileDurably} from '../../src/fs/atomic-write.js'
import {renameDurably} from '../../src/fs/durable.js'
import {RENAME_ATTEMPTS, renameWithRetry} from '../../src/fs/rename-retry.js'
import {makeTempDir} from '../helpers/temp-library.js'

function heldOpen(code: string) {
  return Object.assign(new Error(`${code}: operation not permitted, rename`), {code})
}

/** A rename that fails `times` times with `code`, then renames for real. */
function failingRename(times: number, code: string) {
  const calls: string[] = []
  const rename = async (from: string, to: string): Promise<void> => {
    calls.push(from)
    if (calls.length <= times) throw heldOpen(code)
    await fs.rename(from, to)
  }
  return {rename, calls}
}

async function twoPaths() {
  const dir = await makeTempDir()
  const from = path.join(dir, 'a.tmp')
  await fs.writeFile(from, 'data')
  return {from, to: path.join(dir, 'a')}
}

describe('renameWithRetry (record 0035)', () => {
  it('on win32 waits out a file held open (EPERM, EBUSY, EACCES), with growing bounded waits', async () => {
    for (const code of ['EPERM', 'EBUSY', 'EACCES']) {
      const {from, to} = await twoPaths()
      const {rename, calls} = failingRename(3, code)
      const waits: number[] = []
      await renameWithRetry(from, to, {platform: 'win32', rename, sleep: async (ms) => void waits.push(ms)})
      expect(calls).toHaveLength(4)
      expect(waits).toEqual([25, 50, 100])
      expect(await fs.readFile(to, 'utf8')).toBe('data')
    }
  })

  it('on win32 gives up after a bounded number of attempts with the last error', async () => {
    const {from, to} = await twoPaths()
    const {rename, calls} = failingRename(100, 'EBUSY')
    const waits: number[] = []
    await expect(renameWithRetry(from, to, {platform: 'win32', rename, sleep: async (ms) => void waits.push(ms)})).rejects.toMatchObject({code: 'EBUSY'})
    expect(calls).toHaveLength(RENAME_ATTEMPTS)
    expect(Math.max(...waits)).toBe(1000)
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(5000)
  })

  it('on linux fails at once: EPERM and EACCES are lasting there', async () => {
    const {from, to} = await twoPaths()
    const {rename, calls} = failingRename(1, 'EPERM')
    await expect(renameWithRetry(from, to, {platform: 'linux', rename, sleep: async () => undefined})).rejects.toMatchObject({code: 'EPERM'})
    expect(calls).toHaveLength(1)
  })

  it('never retries other errors', async () => {
    const {from, to} = await twoPaths()
    const {rename, calls} = failingRename(1, 'ENOENT')
    await expect(renameWithRetry(from, to, {platform: 'win32', rename, sleep: async () => undefined})).rejects.toMatchObject({code: 'ENOENT'})
    expect(calls).toHaveLength(1)
  })
})

describe('the renames of fs/ wait out a held file too', () => {
  it('renameDurably retries on win32', async () => {
    const {from, to} = await twoPaths()
    const {rename, calls} = failingRename(2, 'EPERM')
    await renameDurably(from, to, path.dirname(to), {platform: 'win32', rename, sleep: async () => undefined})
    expect(calls).toHaveLength(3)
    expect(await fs.readFile(to, 'utf8')).toBe('data')
  })

  it('writeFileDurably retries its rename over the file on win32', async () => {
    const {to} = await twoPaths()
    const {rename, calls} = failingRename(2, 'EACCES')
    await writeFileDurably(to, 'new', {retry: {platform: 'win32', rename, sleep: async () => undefined}})
    expect(calls).toHaveLength(3)
    expect(await fs.readFile(to, 'utf8')).toBe('new')
  })
})
