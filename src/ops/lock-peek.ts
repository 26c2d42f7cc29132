// A look at a game's lock without taking it: `recover --dry-run` writes nothing, not even a
// lock file, yet must not show a live process's half-done operation as a plan.
import {LanspreadError} from '../errors.js'
import {LockOwnerSchema} from '../fs/lock-owner.js'
import {isAlive} from '../fs/pid-lock.js'
import {readJsonFile} from '../fs/read-json.js'
import type {GameId} from '../library/layout.js'
import {gameLockPath} from './game-lock.js'

/** Throws `busy` when a live process holds the game's lock; a missing, dead or unreadable lock is no holder. */
export async function assertNotLocked(locksDir: string, id: GameId): Promise<void> {
  const file = gameLockPath(locksDir, id)
  const lock = await readJsonFile(file, LockOwnerSchema)
  if (lock.status !== 'ok' || !isAlive(lock.value)) return
  const owner = lock.value
  throw new LanspreadError('busy', `game ${id} is busy: ${owner.purpose} by process ${owner.pid} since ${owner.acquired_at}`, {
    hint: `wait for it to finish and try again (the lock is ${file})`,
  })
}
