// Renames that wait out a file held open (record 0035): on Windows a rename fails with EPERM,
// EBUSY or EACCES while another program (a virus scanner, the indexer, a game) holds the file.
import fs from 'node:fs/promises'
import {errnoCode} from '../errors.js'
import {doublingDelay} from '../util/doubling-delay.js'

export type Rename = (from: string, to: string) => Promise<void>

export interface RenameRetryOptions {
  /** Whose errors mean "held open, try again"; defaults to process.platform. */
  platform?: string
  rename?: Rename
  sleep?: (ms: number) => Promise<void>
}

/** At most this many attempts, waiting 25, 50, … ms (capped at 1 s) between: about 4.6 s in all. */
export const RENAME_ATTEMPTS = 10
const FIRST_DELAY_MS = 25
const MAX_DELAY_MS = 1000

/** The codes that mean a file is held open on `platform`; elsewhere they are lasting (a permission, a mount point). */
export function heldOpenCodes(platform: string): ReadonlySet<string> {
  return platform === 'win32' ? new Set(['EPERM', 'EBUSY', 'EACCES']) : new Set()
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Renames `from` to `to`, retrying a bounded number of times while the platform says the file is held open. */
export async function renameWithRetry(from: string, to: string, options: RenameRetryOptions = {}): Promise<void> {
  const rename = options.rename ?? fs.rename
  const sleep = options.sleep ?? sleepFor
  const retryable = heldOpenCodes(options.platform ?? process.platform)
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to)
      return
    } catch (error) {
      if (attempt >= RENAME_ATTEMPTS || !retryable.has(errnoCode(error) ?? '')) throw error
      await sleep(doublingDelay(FIRST_DELAY_MS, MAX_DELAY_MS, attempt - 1))
    }
  }
}
