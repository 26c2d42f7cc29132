// The serving rules of SPEC §4.6 that need no disk: which games may be served, and which
// chunk requests name a real chunk of our current manifest. Each refusal is a LanspreadError
// whose code becomes the wire Error a hostile or confused peer gets back.
import {LanspreadError} from '../errors.js'
import type {ManifestFile} from '../library/manifest.js'
import type {ActiveOperation, GameSummary} from '../library/summary.js'
import type {GetChunk} from '../protocol/messages.js'

const ASK_AGAIN = 'ask for the manifest again (GetGame) or use another source'

/** A game is served only when `ready`: in the catalog, downloaded, no operation, no recovery pending. */
export function assertTransferable(id: string, summary: GameSummary | undefined, active: ActiveOperation | undefined): GameSummary {
  if (!summary)
    throw new LanspreadError('not_found', `this peer has no game ${id}`, {hint: 'list the games this peer has (GetLibrary) and ask for one of them'})
  if (active !== undefined) throw notServed(id, `an operation (${active}) is running on it`)
  if (summary.needs_recovery) throw notServed(id, 'it was left mid-operation and needs recovery')
  if (!summary.downloaded) throw notServed(id, 'it is not downloaded here (no version.ini)')
  if (summary.availability === 'downloading') throw notServed(id, 'it is being downloaded here')
  if (summary.availability !== 'ready') throw notServed(id, "it is not in this peer's catalog")
  return summary
}

/** The caller's manifest must be the one we serve now: bytes of another version would not verify. */
export function assertCurrentManifest(request: Pick<GetChunk, 'id' | 'manifest_hash'>, current: string): void {
  if (request.manifest_hash === current) return
  throw new LanspreadError(
    'not_downloaded',
    `the manifest ${request.manifest_hash.slice(0, 12)}… of game ${request.id} is stale: this peer serves ${current.slice(0, 12)}…`,
    {hint: ASK_AGAIN},
  )
}

/** What GetChunk checks of a manifest file: its path and size. */
export type ServedFile = Pick<ManifestFile, 'path' | 'size'>

/**
 * The manifest file a GetChunk names, when it asks for exactly one whole chunk of it: the
 * offset a multiple of the chunk size inside the file, the length that chunk's length.
 */
export function chunkOf(request: Pick<GetChunk, 'id' | 'path' | 'offset' | 'length'>, files: ReadonlyMap<string, ServedFile>, chunkSize: number): ServedFile {
  const file = files.get(request.path)
  if (!file) throw refused(request, `${JSON.stringify(request.path)} is not a file of its manifest`)
  if (request.offset % chunkSize !== 0) throw refused(request, `offset ${request.offset} is not a multiple of the chunk size ${chunkSize}`)
  if (request.offset >= file.size) throw refused(request, `offset ${request.offset} is outside ${request.path} (${file.size} bytes)`)
  const length = Math.min(chunkSize, file.size - request.offset)
  if (request.length !== length) throw refused(request, `the chunk at ${request.offset} of ${request.path} is ${length} bytes, not ${request.length}`)
  return file
}

function notServed(id: string, why: string): LanspreadError {
  return new LanspreadError('not_downloaded', `game ${id} is not served now: ${why}`, {hint: 'use another source, or ask again once it is ready here'})
}

function refused(request: Pick<GetChunk, 'id'>, why: string): LanspreadError {
  return new LanspreadError('invalid_input', `refused a chunk of game ${request.id}: ${why}`, {
    hint: 'ask only for whole chunks of the manifest GetGame returned',
  })
}
