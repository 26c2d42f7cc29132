// One operation at a time per game, across processes: a pid lock per game ID in the
// state folder. A live holder makes a second operation fail at once with `busy`.
import path from 'node:path'
import {PidLock} from '../fs/pid-lock.js'
import type {GameId} from '../library/layout.js'

export function gameLockPath(locksDir: string, id: GameId): string {
  return path.join(locksDir, `game-${id}.lock`)
}

export async function lockGame(locksDir: string, id: GameId, purpose: string): Promise<PidLock> {
  return PidLock.acquire(gameLockPath(locksDir, id), {subject: `game ${id}`, purpose})
}
