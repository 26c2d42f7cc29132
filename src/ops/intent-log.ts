// The per-game intent log `.lanspread.json`: which operation was under way when the
// process stopped. Written atomically (temp, fsync, rename, fsync of the folder) so
// recovery always reads either the old or the new intent.
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import {errnoCode, ioError} from '../errors.js'
import {writeJsonDurably} from '../fs/atomic-write.js'
import {readJsonFile} from '../fs/read-json.js'
import {INTENT_LOG, type GamePaths} from '../library/layout.js'

export const IntentSchema = z.enum(['None', 'Installing', 'Updating', 'Uninstalling'])
export type Intent = z.infer<typeof IntentSchema>

/** `{ "intent": ... }`, more fields allowed (a file holding only `intent` is complete). */
export const IntentLogSchema = z.looseObject({
  intent: IntentSchema,
  started_at: z.string().optional(),
  pid: z.number().optional(),
})

/** What recovery sees: an intent, or a log it cannot read. A missing log means None. */
export type ObservedIntent = Intent | 'Unreadable'

export async function readIntent(game: Pick<GamePaths, 'intentLog'>): Promise<ObservedIntent> {
  const result = await readJsonFile(game.intentLog, IntentLogSchema)
  if (result.status === 'missing') return 'None'
  if (result.status === 'invalid') return 'Unreadable'
  return result.value.intent
}

export async function writeIntent(game: Pick<GamePaths, 'intentLog'>, intent: Intent): Promise<void> {
  const record = intent === 'None' ? {intent} : {intent, started_at: new Date().toISOString(), pid: process.pid}
  await writeJsonDurably(game.intentLog, record)
}

/** Removes temp files an atomic write (fs/atomic-write) may have left beside the log when killed. */
export async function sweepIntentTemps(game: Pick<GamePaths, 'root'>): Promise<string[]> {
  let names: string[]
  try {
    names = await fs.readdir(game.root)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return []
    throw ioError('list', game.root, error)
  }
  const temps = names.filter((name) => name.startsWith(`${INTENT_LOG}.`))
  await Promise.all(temps.map((name) => fs.rm(path.join(game.root, name), {force: true, recursive: true})))
  return temps
}
