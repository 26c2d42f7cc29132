import {execa} from 'execa'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {PidLock, processStartTime} from '../../src/fs/pid-lock.js'
import {holdLockInChild} from '../helpers/lock-holder.js'
import {makeTempDir} from '../helpers/temp-library.js'

async function deadPid(): Promise<number> {
  const child = await execa('node', ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout)
}

describe('pid lock', () => {
  it('is exclusive within and across processes while the holder lives', async () => {
    const file = path.join(await makeTempDir(), 'locks', 'g.lock')
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'install'})
    await expect(PidLock.acquire(file, {subject: 'game g', purpose: 'uninstall'})).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringMatching(/game g is busy: install by process \d+/),
    })
    await lock.release()
    const again = await PidLock.acquire(file, {subject: 'game g', purpose: 'uninstall'})
    await again.release()
    await expect(fs.access(file)).rejects.toThrow()
  })

  it('takes over the lock of a process that died, at once', async () => {
    const file = path.join(await makeTempDir(), 'g.lock')
    const pid = await deadPid()
    await fs.writeFile(file, JSON.stringify({pid, start_time: null, hostname: os.hostname(), purpose: 'install', acquired_at: new Date().toISOString()}))
    const started = Date.now()
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'recover'})
    expect(Date.now() - started).toBeLessThan(1000)
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({pid: process.pid, purpose: 'recover'})
    await lock.release()
  })

  it('treats a reused pid (other start time) as dead', async () => {
    const file = path.join(await makeTempDir(), 'g.lock')
    expect(processStartTime(process.pid)).not.toBeNull()
    await fs.writeFile(file, JSON.stringify({pid: process.pid, start_time: '1', hostname: os.hostname(), purpose: 'install', acquired_at: new Date().toISOString()}))
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'recover'})
    await lock.release()
  })

  it('fails at once against a live holder in another process', async () => {
    const file = path.join(await makeTempDir(), 'g.lock')
    const holder = await holdLockInChild(file)
    try {
      const started = Date.now()
      await expect(PidLock.acquire(file, {subject: 'game g', purpose: 'install'})).rejects.toMatchObject({code: 'busy'})
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      await holder.kill()
    }
    // Its holder is gone: the next acquire takes the lock over.
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'recover'})
    await lock.release()
  })

  it('waits a bounded time when asked to', async () => {
    const file = path.join(await makeTempDir(), 'g.lock')
    const lock = await PidLock.acquire(file, {subject: 'index', purpose: 'scan'})
    setTimeout(() => void lock.release(), 200)
    const second = await PidLock.acquire(file, {subject: 'index', purpose: 'scan', waitMs: 5000})
    await second.release()
  })

  it('does not take over a lock file that is still being written (empty and fresh)', async () => {
    const file = path.join(await makeTempDir(), 'g.lock')
    await fs.writeFile(file, '')
    await expect(PidLock.acquire(file, {subject: 'game g', purpose: 'install'})).rejects.toMatchObject({code: 'busy'})
    const old = (Date.now() - 10_000) / 1000
    await fs.utimes(file, old, old)
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'install'})
    await lock.release()
  })
})
