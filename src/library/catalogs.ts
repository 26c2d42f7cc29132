// The two catalogs a library reads: the user's catalog.json (missing: empty, said once) and the
// entries learned from downloads in the state folder (SPEC §2.3).
import type {LanspreadPaths} from '../config.js'
import {type CatalogEntry, loadCatalogEntries, missingCatalogWarning} from './catalog.js'
import {learnedCatalogPath, loadLearnedCatalog} from './learned-catalog.js'

export interface Catalogs {
  /** catalog.json's entries; undefined while there is none. */
  user: CatalogEntry[] | undefined
  learned: CatalogEntry[]
}

/** Both catalogs; a missing catalog.json is said once, not again on each reload while it stays missing. */
export async function readCatalogs(paths: LanspreadPaths, logger: {warn(message: string): void}, previous: Catalogs | undefined): Promise<Catalogs> {
  const user = await loadCatalogEntries(paths.catalogPath)
  if (user === undefined && (previous === undefined || previous.user !== undefined)) logger.warn(missingCatalogWarning(paths.catalogPath))
  const learned = await loadLearnedCatalog(learnedCatalogPath(paths.stateDir), (m) => logger.warn(m))
  return {user, learned}
}
