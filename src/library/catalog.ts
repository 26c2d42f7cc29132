// catalog.json: which game IDs exist and their names. A game is only transferable when
// its ID is listed here; a missing or invalid catalog is an error that names the file.
import {z} from 'zod'
import {errnoCode, isLanspreadError, LanspreadError} from '../errors.js'
import {type JsonFileResult, readJsonFile} from '../fs/read-json.js'
import {type GameId, GameIdSchema} from './layout.js'

export const CatalogEntrySchema = z.looseObject({
  id: GameIdSchema,
  name: z.string().min(1, 'name must not be empty'),
})

export const CatalogSchema = z.array(CatalogEntrySchema).superRefine((entries, ctx) => {
  const seen = new Set<string>()
  entries.forEach((entry, i) => {
    if (seen.has(entry.id)) ctx.addIssue({code: 'custom', path: [i, 'id'], message: `duplicate game ID "${entry.id}"`})
    seen.add(entry.id)
  })
})

export type CatalogEntry = z.infer<typeof CatalogEntrySchema>

export class Catalog {
  private readonly byId: ReadonlyMap<GameId, CatalogEntry>

  constructor(entries: readonly CatalogEntry[]) {
    this.byId = new Map(entries.map((entry) => [entry.id, entry]))
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
}

const CATALOG_HINT = 'it must be a JSON array like [{"id": "quake3", "name": "Quake III Arena"}]; fix the file or pass --catalog PATH'

export async function loadCatalog(file: string): Promise<Catalog> {
  const result = await readCatalogFile(file)
  if (result.status === 'missing') {
    throw new LanspreadError('invalid_input', `catalog not found: ${file}`, {
      hint: `create it (a JSON array like [{"id": "quake3", "name": "Quake III Arena"}]) or pass --catalog PATH`,
    })
  }
  if (result.status === 'invalid') {
    throw new LanspreadError('invalid_input', `catalog ${file} is invalid: ${result.reason}`, {hint: CATALOG_HINT})
  }
  return new Catalog(result.value)
}

/** Reading a folder fails with EISDIR, which would read as a disk error; say what is wrong instead. */
async function readCatalogFile(file: string): Promise<JsonFileResult<CatalogEntry[]>> {
  try {
    return await readJsonFile(file, CatalogSchema)
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
