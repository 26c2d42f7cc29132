// The source side of downloads: answers GetGame with the manifest and its content hashes, and
// GetChunk with one chunk of a transferable game, under the serving rules of SPEC §4.6 and
// with a bounded number of chunk buffers per peer and in total. A game being downloaded here
// is served from its download: that manifest, and only the chunks verified so far (SPEC §5.1).
import fs from 'node:fs/promises'
import path from 'node:path'
import {MAX_CHUNK_SIZE} from '../config.js'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {ChunkBufferPool} from '../util/chunk-buffer-pool.js'
import {contentHashOf} from '../library/content-hashes.js'
import type {GameFile} from '../library/game-store.js'
import type {GameContent, OperationStateReader} from '../library/library.js'
import type {LanspreadPaths} from '../config.js'
import {type ManifestFile, manifestHash} from '../library/manifest.js'
import {SENTINEL} from '../library/layout.js'
import type {GameSummary} from '../library/summary.js'
import type {FileHashes} from '../library/schemas.js'
import type {GameManifest, GetChunk, GetGame, Message} from '../protocol/messages.js'
import {ChunkPermits, type ReleasePermit} from './chunk-permits.js'
import {type ChunkToServe, FRAME_ROOM, framedChunkReply, freshChunkReply} from './chunk-reply.js'
import type {GameRequestHandler, GameRequestReply, ReplyPlane} from './game-request-handler.js'
import {assertCurrentManifest, assertTransferable, chunkOf, type ServedFile} from './serving-rules.js'
import {type PartialGame, type PartialGames, assertVerified, partialDiskPath, servablePartial} from './partial-games.js'
import type {PayloadFileTarget} from './payload-file.js'
import {UploadLog} from './uploads.js'
import {SeedPacing} from './test-pacing.js'

/** What the server needs of the library (Library implements it). */
export interface ServedLibrary {
  readonly paths: Pick<LanspreadPaths, 'gamesDir'>
  summary(id: string): GameSummary | undefined
  content(id: string): Promise<GameContent>
  storedGame(id: string): Promise<GameFile | undefined>
}

export interface GameServerComponents {
  library: ServedLibrary
  operations: OperationStateReader
  permits?: ChunkPermits
  /** Reused buffers of framed chunk replies (bulk TLS); a default one holds default-size chunks. */
  buffers?: ChunkBufferPool
  /** The downloads running here, whose verified chunks are served (SPEC §5.1); none without it. */
  partials?: PartialGames
  log?: (level: 'info' | 'warn', message: string) => void
}

export interface GameServerOptions {
  /** How long a chunk request waits for a permit before it is answered `busy`. */
  permitWaitMs: number
  /** A permit a data plane never released is taken back after this long (its buffer is gone by then). */
  permitHoldMs: number
}

/** The paths and sizes of the manifest we serve now, by path: what GetChunk may ask for. */
interface ServedManifest {
  manifest_hash: string
  chunk_size: number
  files: Map<string, ServedFile>
  /** Each file's chunk hashes from our content hashes, where they cover the file (ChunkHeader.hash). */
  chunkHashes: Map<string, readonly string[]>
}

/**
 * Free buffers kept for framed replies: a fetch holds two bulk connections per source, each
 * answering one chunk at a time; more are allocated (up to the permits) and dropped after.
 */
const FREE_REPLY_BUFFERS = 4

export class GameServer {
  private readonly permits: ChunkPermits
  private readonly buffers: ChunkBufferPool
  /** One hashing run per game at a time: ten peers asking for a fresh game hash it once. */
  private readonly contents = new Map<string, Promise<GameContent>>()
  /** Keyed by game, checked against the index's manifest_hash: covers paths and sizes, all GetChunk needs. */
  private readonly manifests = new Map<string, ServedManifest>()
  /** The same for the manifests of downloads in progress, kept as long as the download's manifest object. */
  private readonly partialManifests = new WeakMap<GameManifest, ServedManifest>()
  private gamesDir: Promise<string> | undefined
  /** Uploads in progress, logged when they start and end (status lists them). */
  readonly uploads: UploadLog
  /** Inert unless a test sets LANSPREAD_TEST_SEED_CHUNK_MS (test-pacing.ts). */
  private readonly pacing = new SeedPacing()

  constructor(
    private readonly options: GameServerOptions,
    private readonly components: GameServerComponents,
  ) {
    this.permits = components.permits ?? new ChunkPermits()
    this.buffers = components.buffers ?? new ChunkBufferPool(FRAME_ROOM + MAX_CHUNK_SIZE, FREE_REPLY_BUFFERS)
    this.uploads = new UploadLog(components.log ?? (() => {}))
  }

  readonly handle: GameRequestHandler = async (request, peerId, plane, address) => {
    if (request.type === 'GetGame') return {reply: await this.getGame(request)}
    if (request.type === 'GetChunk') return this.getChunk(request, peerId, plane, address)
    throw new LanspreadError('invalid_input', `the game server does not answer ${request.type}`, {hint: 'send GetGame or GetChunk'})
  }

  /** The manifest with content hashes, or NotModified when the caller holds this content_hash. */
  async getGame(request: GetGame): Promise<Message> {
    const partial = this.partialOf(request.id)
    if (partial) return request.content_hash === partial.manifest.content_hash ? {type: 'NotModified'} : partial.manifest
    this.transferable(request.id)
    const content = await this.contentOf(request.id)
    // content() rescanned the game: it may have left the ready state meanwhile.
    const summary = this.transferable(request.id)
    if (summary.manifest_hash !== content.manifest_hash) {
      throw new LanspreadError('busy', `game ${request.id} changed while its manifest was built`, {hint: 'ask again in a moment'})
    }
    const manifest = toGameManifest(request.id, content)
    this.remember(request.id, content.manifest_hash, content.manifest.chunk_size, content.manifest.files, content.content_hashes)
    if (request.content_hash === manifest.content_hash) return {type: 'NotModified'}
    return manifest
  }

  /**
   * One chunk; with `plane.framed` (bulk TLS) read into a reused buffer behind its header's
   * frame, which the plane's `release` gives back. The header's hash is the one our content
   * hashes hold for the chunk when they cover its file (the downloader verifies the bytes
   * against its manifest, not against this header), else the bytes' own.
   */
  async getChunk(request: GetChunk, peerId: string, plane: ReplyPlane = {}, address?: string): Promise<GameRequestReply> {
    const partial = this.partialOf(request.id)
    if (partial) return this.getPartialChunk(request, partial, peerId, plane, address)
    const summary = this.transferable(request.id)
    assertCurrentManifest(request, summary.manifest_hash)
    const served = await this.servedManifest(request.id, summary.manifest_hash)
    const file = chunkOf(request, served.files, served.chunk_size)
    const root = await this.gameRoot(request.id)
    await this.assertSentinel(root, request.id)
    await this.pacing.turn()
    return this.send(request, served, {root, relative: file.path, size: file.size, id: request.id}, peerId, plane, address)
  }

  /**
   * A chunk of a download in progress: of its manifest, verified and written here, read where
   * the download wrote it. No sentinel yet; every other rule and limit as for a complete game.
   */
  private async getPartialChunk(request: GetChunk, partial: PartialGame, peerId: string, plane: ReplyPlane, address?: string): Promise<GameRequestReply> {
    assertCurrentManifest(request, partial.manifest.manifest_hash)
    const served = this.partialManifest(partial.manifest)
    const file = chunkOf(request, served.files, served.chunk_size)
    assertVerified(request, partial)
    const onDisk = partialDiskPath(partial, file.path)
    const root = await this.gameRoot(request.id)
    // The wait for a slot may outlast the download: serve only what it still holds then.
    const stillThere = () => {
      if (this.partialOf(request.id) !== partial) throw notServedHereNow(request.id)
      assertVerified(request, partial)
    }
    const target = {root, relative: file.path, size: file.size, id: request.id, ...(onDisk ? {onDisk} : {})}
    return this.send(request, served, target, peerId, plane, address, stillThere)
  }

  /** Reads and answers one checked chunk under a permit (waited for fairly between peers). */
  private async send(
    request: GetChunk,
    served: ServedManifest,
    target: PayloadFileTarget,
    peerId: string,
    plane: ReplyPlane,
    address: string | undefined,
    stillThere: () => void = () => {},
  ): Promise<GameRequestReply> {
    const release = this.guard(await this.permits.acquire(peerId, this.options.permitWaitMs, address), request, peerId)
    const knownHash = served.chunkHashes.get(target.relative)?.[request.offset / served.chunk_size]
    const chunk: ChunkToServe = {
      target,
      offset: request.offset,
      length: request.length,
      ...(knownHash === undefined ? {} : {knownHash}),
    }
    try {
      stillThere()
      const reply = await (plane.framed ? framedChunkReply(chunk, this.buffers, release) : freshChunkReply(chunk, release))
      this.uploads.served(request.id, peerId, request.length, `${request.path}\u0000${request.offset}`)
      return reply
    } catch (error) {
      release()
      throw error
    }
  }

  /** Permits held now (tests check that refused and finished requests give theirs back). */
  permitsInUse(peerId?: string): number {
    return this.permits.inUse(peerId)
  }

  /** Permits held now by the peers of one source address. */
  permitsInUseByAddress(address: string): number {
    return this.permits.inUseByAddress(address)
  }

  /** The download to serve `id` from, if it is being downloaded here and the runtime shows it. */
  private partialOf(id: string): PartialGame | undefined {
    const {library, operations, partials} = this.components
    return servablePartial(id, library.summary(id), operations.activeOperation(id), partials)
  }

  /** The download's manifest by path; its chunk hashes are the manifest's, each checked before it was written. */
  private partialManifest(manifest: GameManifest): ServedManifest {
    const cached = this.partialManifests.get(manifest)
    if (cached) return cached
    const served: ServedManifest = {
      manifest_hash: manifest.manifest_hash,
      chunk_size: manifest.chunk_size,
      files: new Map(manifest.files.map((file) => [file.path, {path: file.path, size: file.size}])),
      chunkHashes: new Map(manifest.files.map((file) => [file.path, file.chunks])),
    }
    this.partialManifests.set(manifest, served)
    return served
  }

  private transferable(id: string): GameSummary {
    return assertTransferable(id, this.components.library.summary(id), this.components.operations.activeOperation(id))
  }

  private contentOf(id: string): Promise<GameContent> {
    const running = this.contents.get(id)
    if (running) return running
    const started = this.components.library.content(id).finally(() => this.contents.delete(id))
    this.contents.set(id, started)
    return started
  }

  private async servedManifest(id: string, current: string): Promise<ServedManifest> {
    const cached = this.manifests.get(id)
    if (cached?.manifest_hash === current) return cached
    const stored = await this.components.library.storedGame(id)
    if (!stored || manifestHash(stored.manifest) !== current) {
      throw new LanspreadError('busy', `the manifest of game ${id} is being rebuilt`, {hint: 'ask for the manifest again (GetGame) in a moment'})
    }
    return this.remember(id, current, stored.manifest.chunk_size, stored.manifest.files, stored.content_hashes)
  }

  private remember(
    id: string,
    manifest_hash: string,
    chunk_size: number,
    files: readonly ManifestFile[],
    hashes: Readonly<Record<string, FileHashes>>,
  ): ServedManifest {
    const served = {manifest_hash, chunk_size, files: new Map(files.map((file) => [file.path, file])), chunkHashes: chunkHashesOf(files, chunk_size, hashes)}
    this.manifests.set(id, served)
    return served
  }

  /** `<games>/<id>` with the games folder resolved once; the game root itself must be a real folder. */
  private async gameRoot(id: string): Promise<string> {
    this.gamesDir ??= fs.realpath(this.components.library.paths.gamesDir).catch((error: unknown) => {
      this.gamesDir = undefined
      throw ioError('resolve', this.components.library.paths.gamesDir, error)
    })
    const root = path.join(await this.gamesDir, id)
    const stat = await fs.lstat(root).catch(() => undefined)
    if (!stat?.isDirectory()) throw new LanspreadError('not_downloaded', `game ${id} is not served now: ${root} is not a folder`, {hint: 'use another source'})
    return root
  }

  /** The index may lag a deleted version.ini by a scan: a game without one is never served. */
  private async assertSentinel(root: string, id: string): Promise<void> {
    const stat = await fs.lstat(path.join(root, SENTINEL)).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return undefined
      throw ioError('inspect', path.join(root, SENTINEL), error)
    })
    if (!stat?.isFile()) throw new LanspreadError('not_downloaded', `game ${id} is not served now: it has no version.ini`, {hint: 'use another source'})
  }

  /** A permit a data plane forgot to release comes back after permitHoldMs, with a warning. */
  private guard(release: ReleasePermit, request: GetChunk, peerId: string): ReleasePermit {
    const timer = setTimeout(() => {
      this.components.log?.('warn', `a chunk permit for ${request.id}/${request.path} of peer ${peerId} was held ${this.options.permitHoldMs} ms; taken back`)
      release()
    }, this.options.permitHoldMs)
    timer.unref()
    return () => {
      clearTimeout(timer)
      release()
    }
  }
}

/** SPEC §4.3's GameManifest: each file with its chunk hashes, and the content_hash over them. */
export function toGameManifest(id: string, content: GameContent): GameManifest {
  const files = content.manifest.files.map((file) => {
    const hashes = content.content_hashes[file.path]
    if (!hashes) throw new LanspreadError('internal', `no content hashes for ${file.path} of game ${id}`, {hint: 'run `lanspread scan --full` and try again'})
    return {path: file.path, size: file.size, hash: hashes.hash, chunks: hashes.chunks}
  })
  const {manifest_hash} = content
  const {chunk_size} = content.manifest
  const content_hash = contentHashOf(
    manifest_hash,
    chunk_size,
    files.map((file) => file.hash),
  )
  return {type: 'GameManifest', id, manifest_hash, content_hash, chunk_size, files}
}

/**
 * The chunk hashes of each file whose content hashes were taken with this chunk size at the
 * manifest's size (a file hashed at another size has none: its chunks are hashed as served).
 */
function chunkHashesOf(files: readonly ManifestFile[], chunkSize: number, hashes: Readonly<Record<string, FileHashes>>): Map<string, readonly string[]> {
  const known = new Map<string, readonly string[]>()
  for (const file of files) {
    const entry = hashes[file.path]
    const count = Math.max(1, Math.ceil(file.size / chunkSize))
    if (entry?.chunk_size === chunkSize && entry.size === file.size && entry.chunks.length === count) known.set(file.path, entry.chunks)
  }
  return known
}

/** A download served from ended while the request waited: the game is for the complete-game rules to answer next time. */
function notServedHereNow(id: string): LanspreadError {
  return new LanspreadError('busy', `the download of game ${id} this chunk was to come from ended meanwhile`, {hint: 'ask again in a moment'})
}
