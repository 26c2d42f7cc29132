// `<state>/games/<id>.json`: one game's manifest and content hashes, beside index.json
// (SPEC §2.2). Loaded only when that game is walked or served, and written only when it
// changed, so a change to one game writes O(that game) and a read writes nothing.
import fs from 'node:fs/promises'
import path from 'node:path'
import {ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {type QuickFormat, readQuickJsonFile} from '../fs/read-json.js'
import type {GameId} from './layout.js'
import type {GameFile} from './schemas.js'
import {GAME_FILE_VERSION} from '../words/library-formats.js'

export {GAME_FILE_VERSION} from '../words/library-formats.js'

export type {GameFile} from './schemas.js'

export function gameFile(manifest: GameFile['manifest'], contentHashes: GameFile['content_hashes']): GameFile {
  return {version: GAME_FILE_VERSION, manifest, content_hashes: contentHashes}
}

/** Equal files serialize equally: both are built in manifest order by this module's callers. */
export function gameFilesEqual(a: GameFile | undefined, b: GameFile): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Game files are checked by zod alone (no quick check), but zod is imported only when a file
 * is there to check: a warm scan reads none, and a cold one finds none.
 */
const gameFileFormat: QuickFormat<GameFile> = {
  quick: () => undefined,
  schema: async () => (await import('./schemas.js')).GameFileSchema,
}

export class GameStore {
  constructor(private readonly dir: string) {}

  file(id: GameId): string {
    return path.join(this.dir, `${id}.json`)
  }

  /** A missing or broken file is no file: the game is walked again and the hashes recomputed. */
  async load(id: GameId): Promise<GameFile | undefined> {
    const result = await readQuickJsonFile(this.file(id), gameFileFormat)
    return result.status === 'ok' ? result.value : undefined
  }

  async save(id: GameId, file: GameFile): Promise<void> {
    await fs.mkdir(this.dir, {recursive: true}).catch((error: unknown) => {
      throw ioError('create', this.dir, error)
    })
    // Imported here: the write path is not loaded by a scan that writes nothing.
    const {writeJsonDurably} = await import('../fs/atomic-write.js')
    await writeJsonDurably(this.file(id), file)
  }

  async remove(ids: readonly GameId[]): Promise<void> {
    if (ids.length === 0) return
    for (const id of ids) {
      await fs.rm(this.file(id), {force: true}).catch((error: unknown) => {
        throw ioError('remove', this.file(id), error)
      })
    }
    await fsyncPath(this.dir).catch(() => {}) // the folder may never have been created
  }
}
