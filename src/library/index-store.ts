// index.json: per game its fingerprint, size, manifest and content hashes, plus
// library_rev. Written atomically. A corrupt index is set aside and rebuilt, and
// library_rev survives even that through its own small file (library-rev.json).
import fs from 'node:fs/promises'
import {z} from 'zod'
import {errnoCode, ioError} from '../errors.js'
import {writeJsonDurably} from '../fs/atomic-write.js'
import {readJsonFile} from '../fs/read-json.js'
import {lstatOrNull} from '../fs/stat.js'
import {FileHashesSchema} from './content-hashes.js'
import {FingerprintSchema} from './fingerprint.js'
import {ManifestSchema} from './manifest.js'

export const INDEX_VERSION = 1

export const IndexedGameSchema = z.object({
  fingerprint: FingerprintSchema,
  eti_version: z.string().nullable(),
  size: z.number().int().nonnegative(),
  manifest: ManifestSchema,
  manifest_hash: z.string(),
  content_hashes: z.record(z.string(), FileHashesSchema),
})

export const LibraryIndexSchema = z.object({
  version: z.literal(INDEX_VERSION),
  library_rev: z.number().int().nonnegative(),
  /** library_digest of the summaries published at library_rev; null before the first scan. */
  library_digest: z.string().nullable(),
  games: z.record(z.string(), IndexedGameSchema),
})

const LibraryRevFileSchema = z.object({library_rev: z.number().int().nonnegative()})
/** Salvages the revision from an index that no longer matches the schema. */
const LooseRevSchema = z.looseObject({library_rev: z.number().int().nonnegative()})

export type IndexedGame = z.infer<typeof IndexedGameSchema>
export type LibraryIndex = z.infer<typeof LibraryIndexSchema>

export interface IndexStorePaths {
  indexPath: string
  libraryRevPath: string
}

export interface LoadedIndex {
  index: LibraryIndex
  /** Set when index.json was unreadable and has been set aside for a rebuild. */
  warning?: string
}

export function emptyIndex(libraryRev = 0): LibraryIndex {
  return {version: INDEX_VERSION, library_rev: libraryRev, library_digest: null, games: {}}
}

export class IndexStore {
  /** Identity (inode, size, mtime) of index.json as this store last read or wrote it. */
  private lastSeen: string | undefined

  constructor(private readonly paths: IndexStorePaths) {}

  /** True when another process replaced index.json since this store last touched it. */
  async changedSinceLastSeen(): Promise<boolean> {
    return (await this.stamp()) !== this.lastSeen
  }

  async load(): Promise<LoadedIndex> {
    const revFile = await readJsonFile(this.paths.libraryRevPath, LibraryRevFileSchema)
    const savedRev = revFile.status === 'ok' ? revFile.value.library_rev : 0
    this.lastSeen = await this.stamp()
    const result = await readJsonFile(this.paths.indexPath, LibraryIndexSchema)
    if (result.status === 'missing') return {index: emptyIndex(savedRev)}
    if (result.status === 'ok') {
      const index = result.value
      // The rev file is written before the index: after a crash between the two it is ahead.
      return {index: {...index, library_rev: Math.max(index.library_rev, savedRev)}}
    }
    const salvaged = salvageRev(result.raw)
    const aside = `${this.paths.indexPath}.corrupt`
    await this.setAside(aside)
    this.lastSeen = undefined
    return {
      index: emptyIndex(Math.max(savedRev, salvaged)),
      warning: `index ${this.paths.indexPath} was unreadable (${result.reason}); moved it to ${aside} and rebuilding it from the game folders`,
    }
  }

  async save(index: LibraryIndex, previousRev: number): Promise<void> {
    if (index.library_rev !== previousRev) await writeJsonDurably(this.paths.libraryRevPath, {library_rev: index.library_rev})
    await writeJsonDurably(this.paths.indexPath, index)
    this.lastSeen = await this.stamp()
  }

  private async stamp(): Promise<string | undefined> {
    const stat = await lstatOrNull(this.paths.indexPath)
    return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : undefined
  }

  private async setAside(aside: string): Promise<void> {
    try {
      await fs.rename(this.paths.indexPath, aside)
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw ioError('move aside', this.paths.indexPath, error)
    }
  }
}

function salvageRev(raw: string): number {
  try {
    const parsed = LooseRevSchema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data.library_rev : 0
  } catch {
    return 0
  }
}
