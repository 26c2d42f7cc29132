// catalog.json: which game IDs exist and their names. A game is only transferable when
// its ID is listed here (or was learned with a download); a missing catalog is an empty one,
// an invalid one an error that names the file.
import {createHash} from 'node:crypto'
import {errnoCode, isLanspreadError, LanspreadError} from '../errors.js'
import {type JsonFileResult, type QuickFormat, readQuickJsonFile} from '../fs/read-json.js'
import {type GameId, isGameId} from './layout.js'
import type {CatalogEntry} from './schemas.js'

export type {CatalogEntry} from './schemas.js'

/**
 * The catalog is read by every scan: zod over 5,000 entries cost ~20 ms warm and importing
 * zod ~60 ms. A valid catalog is recognised by hand; CatalogSchema judges (and words) the rest.
 */
export const catalogFormat: QuickFormat<CatalogEntry[]> = {
  quick(json) {
    if (!Array.isArray(json)) return undefined
    const seen = new Set<string>()
    for (const entry of json as unknown[]) {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined
      const {id, name} = entry as Record<string, unknown>
      if (typeof id !== 'string' || !isGameId(id) || seen.has(id) || typeof name !== 'string' || name.length === 0) return undefined
      seen.add(id)
    }
    // The parsed value itself: nothing else holds it, and copying 5,000 entries costs a fresh `scan` more than the check.
    return json as CatalogEntry[]
  },
  schema: async () => (await import('./schemas.js')).CatalogSchema,
}

export class Catalog {
  private readonly byId: ReadonlyMap<GameId, CatalogEntry>
  private stampCache: string | undefined

  constructor(entries: readonly CatalogEntry[]) {
    const byId = new Map<GameId, CatalogEntry>()
    for (const entry of entries) byId.set(entry.id, entry)
    this.byId = byId
  }

  has(id: GameId): boolean {
    return this.byId.has(id)
  }

  get(id: GameId): CatalogEntry | undefined {
    return this.byId.get(id)
  }

  get size(): number {
    return this.byId.size
  }

  /**
   * A hash of every ID and name (what a summary reads from the catalog), for the stamp
   * library_digest is stored with: equal stamps mean equal names and listings.
   */
  get stamp(): string {
    this.stampCache ??= createHash('sha256')
      .update(JSON.stringify([...this.byId.values()].map((entry) => [entry.id, entry.name])))
      .digest('hex')
    return this.stampCache
  }
}

const CATALOG_HINT = 'it must be a JSON array like [{"id": "quake3", "name": "Quake III Arena"}]; fix the file or pass --catalog PATH'

export async function loadCatalog(file: string): Promise<Catalog> {
  return new Catalog((await loadCatalogEntries(file)) ?? [])
}

/**
 * The entries of catalog.json, or undefined when there is none: a fresh machine has no
 * catalog yet and must still serve and fetch (SPEC §2.3), so the caller says so once.
 */
export async function loadCatalogEntries(file: string): Promise<CatalogEntry[] | undefined> {
  const result = await readCatalogFile(file)
  if (result.status === 'missing') return undefined
  if (result.status === 'invalid') {
    throw new LanspreadError('invalid_input', `catalog ${file} is invalid: ${result.reason}`, {hint: CATALOG_HINT})
  }
  return result.value
}

/** The warning for a missing catalog.json. */
export function missingCatalogWarning(file: string): string {
  return `no catalog at ${file}: using an empty one (games fetched from peers are still offered on); create it to offer your own games, or pass --catalog PATH`
}

/** Reading a folder fails with EISDIR, which would read as a disk error; say what is wrong instead. */
async function readCatalogFile(file: string): Promise<JsonFileResult<CatalogEntry[]>> {
  try {
    return await readQuickJsonFile(file, catalogFormat)
  } catch (error) {
    if (isLanspreadError(error) && errnoCode(error.cause) === 'EISDIR') {
      throw new LanspreadError('invalid_input', `catalog ${file} is a folder, not a catalog file`, {
        hint: 'pass the catalog file itself with --catalog PATH (a JSON array like [{"id": "quake3", "name": "Quake III Arena"}])',
        cause: error,
      })
    }
    throw error
  }
}
