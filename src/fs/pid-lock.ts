// A cross-process lock file, linked into place whole, that records its holder (pid + start time):
// a live holder makes acquire fail (at once or after a bounded wait), a dead one's is taken over.
import {readFileSync} from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import type {LockOwner} from './lock-owner.js'
import {type FileWriter, tempPathBeside, writeAll, writeNewFile} from './new-file.js'

export type {LockOwner} from './lock-owner.js'

export interface AcquireOptions {
  /** What the lock protects, for messages: "game quake3". */
  subject: string
  /** What the holder is doing: "install". */
  purpose: string
  /** Keep trying this long while a live process holds the lock (default: fail at once). */
  waitMs?: number
}

export interface PidLockComponents {
  /** Writes the owner record into the temp file (tests inject one that fails with ENOSPC). */
  writer?: FileWriter
}

/** A takeover in progress is a millisecond affair; a takeover marker older than this is debris. */
const TAKEOVER_STALE_MS = 2000
/**
 * A lock file still empty (or half-written) after this long belongs to a process that died while
 * creating it. Only versions before the hard-link creation left such files; kept for those.
 */
const EMPTY_LOCK_STALE_MS = 2000
const POLL_MS = 50

export class PidLock {
  private released = false

  private constructor(readonly file: string) {}

  static async acquire(file: string, options: AcquireOptions, components: PidLockComponents = {}): Promise<PidLock> {
    await fs.mkdir(path.dirname(file), {recursive: true}).catch((error: unknown) => {
      throw ioError('create', path.dirname(file), error)
    })
    const deadline = Date.now() + (options.waitMs ?? 0)
    const writer = components.writer ?? writeAll
    for (;;) {
      const holder = await tryCreate(file, options.purpose, writer)
      if (holder === 'acquired' || (holder !== 'alive' && (await takeOver(file, holder, options.purpose, writer)))) {
        await sweepDeadTemps(file)
        return new PidLock(file)
      }
      if (Date.now() >= deadline) throw busyError(file, options.subject, await readOwner(file))
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    const owner = await readOwner(this.file)
    // Never remove a lock that someone else now holds.
    if (owner && owner !== 'empty' && owner.pid === process.pid) await fs.rm(this.file, {force: true})
  }
}

type Holder = 'acquired' | 'alive' | {dead: LockOwner | 'empty'}

async function tryCreate(file: string, purpose: string, writer: FileWriter): Promise<Holder> {
  if (await linkNewLock(file, purpose, writer)) return 'acquired'
  const owner = await readOwner(file)
  if (owner === undefined) return tryCreate(file, purpose, writer) // released meanwhile
  if (owner === 'empty') return (await ageMs(file)) > EMPTY_LOCK_STALE_MS ? {dead: 'empty'} : 'alive'
  return isAlive(owner) ? 'alive' : {dead: owner}
}

/**
 * Writes the owner record to a temp file (fsynced), then link()s it to the lock name: link
 * fails with EEXIST when the lock is held, and a failed write (disk full) leaves no lock file.
 */
async function linkNewLock(file: string, purpose: string, writer: FileWriter): Promise<boolean> {
  const temp = tempPathBeside(file)
  try {
    await writeNewFile(temp, JSON.stringify(ownerRecord(purpose)), writer)
    await fs.link(temp, file)
    return true
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false
    throw ioError('create lock', file, error)
  } finally {
    await fs.rm(temp, {force: true})
  }
}

/** Removes the temp records (`<lock>.<pid>.<random>.tmp`) of processes killed before they linked them. */
async function sweepDeadTemps(file: string): Promise<void> {
  const dir = path.dirname(file)
  const prefix = `${path.basename(file)}.`
  const names = await fs.readdir(dir).catch(() => [])
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1] : undefined
    if (pid !== undefined && !processExists(Number(pid))) await fs.rm(path.join(dir, name), {force: true})
  }
}

/** Replaces a dead holder's lock; only one process at a time may do so. */
async function takeOver(file: string, holder: {dead: LockOwner | 'empty'}, purpose: string, writer: FileWriter): Promise<boolean> {
  const marker = `${file}.takeover`
  if (!(await createMarker(marker))) return false
  try {
    const again = await readOwner(file)
    // Someone else took it over between our look and our marker: theirs now.
    if (again !== undefined && JSON.stringify(again) !== JSON.stringify(holder.dead)) return false
    await fs.rm(file, {force: true})
    return (await tryCreate(file, purpose, writer)) === 'acquired'
  } finally {
    await fs.rm(marker, {force: true, recursive: true})
  }
}

async function createMarker(marker: string): Promise<boolean> {
  try {
    await fs.mkdir(marker)
    return true
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw ioError('create', marker, error)
  }
  if ((await ageMs(marker)) <= TAKEOVER_STALE_MS) return false
  await fs.rm(marker, {force: true, recursive: true})
  return createMarker(marker)
}

async function readOwner(file: string): Promise<LockOwner | 'empty' | undefined> {
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw ioError('read lock', file, error)
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return 'empty'
  }
  const quick = quickLockOwner(json)
  if (quick) return quick
  const {LockOwnerSchema} = await import('./lock-owner.js')
  const parsed = LockOwnerSchema.safeParse(json)
  return parsed.success ? parsed.data : 'empty'
}

/**
 * A well-formed owner record, checked by hand (every release reads its own lock back, and
 * importing zod would cost a scan ~60 ms); undefined leaves the verdict to LockOwnerSchema.
 */
export function quickLockOwner(json: unknown): LockOwner | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
  const {pid, start_time, hostname, purpose, acquired_at} = json as Record<string, unknown>
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (start_time !== null && typeof start_time !== 'string') return undefined
  if (typeof hostname !== 'string' || typeof purpose !== 'string' || typeof acquired_at !== 'string') return undefined
  return {pid, start_time, hostname, purpose, acquired_at}
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs
  } catch {
    return 0
  }
}

function ownerRecord(purpose: string): LockOwner {
  return {pid: process.pid, start_time: processStartTime(process.pid), hostname: os.hostname(), purpose, acquired_at: new Date().toISOString()}
}

/** The kernel's start time of a process (Linux), which tells a reused pid apart. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** A process killed but not yet reaped by its parent still answers kill(pid, 0): it holds nothing. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state === 'Z' || state === 'X'
  } catch {
    return false
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errnoCode(error) !== 'ESRCH'
  }
}

export function isAlive(owner: LockOwner): boolean {
  // `ip netns exec` shares the hostname, so the host name alone never decides.
  if (owner.hostname !== os.hostname()) return true // cannot check another machine: assume alive
  if (!processExists(owner.pid) || isZombie(owner.pid)) return false
  const startTime = processStartTime(owner.pid)
  return owner.start_time === null || startTime === null || startTime === owner.start_time
}

function busyError(file: string, subject: string, owner: LockOwner | 'empty' | undefined): LanspreadError {
  const who = owner && owner !== 'empty' ? `${owner.purpose} by process ${owner.pid} since ${owner.acquired_at}` : 'another process'
  return new LanspreadError('busy', `${subject} is busy: ${who}`, {
    hint: `wait for it to finish and try again (the lock is ${file}; a lock whose process died is taken over automatically)`,
  })
}
