import {execa} from 'execa'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it, onTestFinished} from 'vitest'
import type {FileWriter} from '../../src/fs/new-file.js'
import {PidLock, processStartTime} from '../../src/fs/pid-lock.js'
import {holdLockInChild} from '../helpers/lock-holder.js'
import {makeTempDir} from '../helpers/temp-library.js'
import {mountTinyDisk, tinyDiskUnavailable, type TinyDisk} from '../helpers/tiny-disk.js'
import {missingOutsideCi} from '../helpers/requirements.js'

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
    await fs.writeFile(
      file,
      JSON.stringify({pid: process.pid, start_time: '1', hostname: os.hostname(), purpose: 'install', acquired_at: new Date().toISOString()}),
    )
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

/** Creates part of the record, then fails like a full disk. */
const fullDiskWriter: FileWriter = async (handle, data) => {
  await handle.write(String(data).slice(0, 5))
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC', syscall: 'write'})
}

describe('pid lock on a full disk', () => {
  it('leaves no lock file when writing the record fails, so the next acquire succeeds at once', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'g.lock')
    await expect(PidLock.acquire(file, {subject: 'game g', purpose: 'install'}, {writer: fullDiskWriter})).rejects.toMatchObject({
      code: 'io',
      message: expect.stringContaining(`create lock ${file}: no space left on the device (ENOSPC)`),
    })
    expect(await fs.readdir(dir)).toEqual([])
    const started = Date.now()
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'install'})
    expect(Date.now() - started).toBeLessThan(500)
    expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({pid: process.pid, purpose: 'install'})
    await lock.release()
    expect(await fs.readdir(dir)).toEqual([])
  })

  it('removes temp records left by a process killed before it linked them', async () => {
    const dir = await makeTempDir()
    const file = path.join(dir, 'g.lock')
    const pid = await deadPid()
    await fs.writeFile(`${file}.${pid}.0123456789ab.tmp`, '{"pid"')
    await fs.writeFile(`${file}.${process.pid}.0123456789ab.tmp`, 'ours, in flight')
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'install'})
    expect((await fs.readdir(dir)).sort()).toEqual(['g.lock', `g.lock.${process.pid}.0123456789ab.tmp`])
    await lock.release()
  })
})

const unavailable = await tinyDiskUnavailable()
if (unavailable !== undefined) console.warn(`pid-lock: skipping the real full-disk test (${unavailable}); the injected ENOSPC test still runs`)

describe.skipIf(missingOutsideCi(unavailable))('pid lock on a real full disk (tmpfs)', () => {
  let disk: TinyDisk
  beforeAll(async () => {
    disk = await mountTinyDisk()
  })
  afterAll(() => disk.unmount())

  it('fails with ENOSPC, leaves no lock file, and works the moment space is freed', async () => {
    const file = path.join(disk.dir, 'locks', 'g.lock')
    await fs.mkdir(path.dirname(file))
    await disk.fill()
    await expect(PidLock.acquire(file, {subject: 'game g', purpose: 'install'})).rejects.toMatchObject({code: 'io', message: expect.stringContaining('ENOSPC')})
    expect(await fs.readdir(path.dirname(file))).toEqual([])
    await disk.free()
    const lock = await PidLock.acquire(file, {subject: 'game g', purpose: 'install'})
    await lock.release()
  })
})

describe('pid lock held by a process killed but not yet reaped', () => {
  it('is taken over at once: a zombie holds nothing', async () => {
    const {spawn} = await import('node:child_process')
    const dir = await makeTempDir()
    const file = path.join(dir, 'zombie.lock')
    const script = path.join(dir, 'hold.mjs')
    await fs.writeFile(
      script,
      `const {PidLock} = await import(${JSON.stringify(path.resolve('src/fs/pid-lock.ts'))})
await PidLock.acquire(${JSON.stringify(file)}, {subject: 'z', purpose: 'hold'})
process.stdout.write(process.pid + '\\n')
setInterval(() => {}, 1000)
`,
    )
    // The holder's parent execs sleep, which never reaps it: once killed it stays a zombie.
    const parent = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)} & exec sleep 30`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    onTestFinished(() => void parent.kill('SIGKILL'))
    const holderPid = await new Promise<number>((resolve) => parent.stdout!.once('data', (data: Buffer) => resolve(Number(String(data).trim()))))
    process.kill(holderPid, 'SIGKILL')
    for (let i = 0; i < 200 && readState(holderPid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(readState(holderPid)).toBe('Z')
    const lock = await PidLock.acquire(file, {subject: 'z', purpose: 'take over'})
    await lock.release()
  })
})

function readState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return 'gone'
  }
}
