// `fetch` inside the runtime: for each game, every known peer whose library lists it becomes
// a source (bulk TLS for chunk bytes when the peer offers it, QUIC otherwise), the downloader
// picks the manifest and spreads the chunks, and an optional install follows.
import {BulkTlsGameSource} from '../download/bulk-tls-game-source.js'
import {ChunkBufferPool} from '../util/chunk-buffer-pool.js'
import {type DownloadResult, downloadGame} from '../download/downloader.js'
import type {GameSource, SourceTransport} from '../download/game-source.js'
import type {DownloadProgress} from '../download/progress.js'
import {QuicGameSource} from '../download/quic-game-source.js'
import type {SourceCandidate} from '../download/source-selection.js'
import {LanspreadError} from '../errors.js'
import type {CatalogEntry} from '../library/catalog.js'
import {chunkSizeFor} from '../library/chunk-size.js'
import type {GameId} from '../library/layout.js'
import {learnedEntry} from '../library/learned-catalog.js'
import {FEATURE_BULK_TLS} from '../protocol/messages.js'
import type {PeerRecord} from './peer-table.js'
import type {FetchRuntime} from './runtime-view.js'
import type {RunningDownload} from './swarm/running-downloads.js'
import {SwarmFeed} from './swarm/swarm-feed.js'

export interface FetchOptions {
  ids: GameId[]
  /** Only this peer as a source. */
  from?: string
  install?: boolean
  /** Chunk bytes over bulk TLS where the peer offers it (default true). */
  bulk?: boolean
  signal?: AbortSignal
  onProgress?(id: GameId, progress: DownloadProgress): void
}

/** What `--install` did: a first install, an update to the fetched archives, or nothing (already made from them). */
export type FetchInstallAction = 'installed' | 'updated' | 'unchanged'

/** One source of a fetched game: its bytes, and the plane they took (QUIC after a bulk fallback, with why). */
export type FetchedSource = DownloadResult['sources'][number] & SourceTransport

/**
 * One game of `fetch --json`: what crossed the network in this run, from whom and over which
 * plane (the downloader's internals left out); with --install, what the install did (and, for
 * an update, what it kept).
 */
export type FetchedGame = Omit<DownloadResult, 'peak_buffered_bytes' | 'removed' | 'sources'> & {
  sources: FetchedSource[]
  installed: boolean
  install?: FetchInstallAction
  kept?: string[]
}

/** A manifest of an unhashed game can take a while to compute on the source: GetGame gets this long. */
const SOURCE_REQUEST_TIMEOUT_MS = 300_000

export async function fetchGames(runtime: FetchRuntime, options: FetchOptions): Promise<{games: FetchedGame[]}> {
  const games: FetchedGame[] = []
  for (const id of options.ids) games.push(await fetchOne(runtime, id, options))
  return {games}
}

async function fetchOne(runtime: FetchRuntime, id: GameId, options: FetchOptions): Promise<FetchedGame> {
  const records = runtime.table.records().filter((record) => options.from === undefined || record.peer_id === options.from)
  if (records.length === 0) throw noPeers(options.from)
  const sources: GameSource[] = []
  // One pool for every source of the game: chunk buffers are reused, not allocated per chunk,
  // and page-aligned so the downloader writes them with O_DIRECT. Sized for the game's chunks
  // (the downloader's memory bound counts chunk bytes); a larger chunk gets a buffer of its own.
  const buffers = new ChunkBufferPool(chunkBufferSize(records, id), undefined, {pageAligned: true})
  try {
    const candidates: SourceCandidate[] = []
    let unreachable = 0
    for (const record of records) {
      const summary = record.library.get(id)
      if (!summary) continue
      const source = sourceFor(runtime, record, options.bulk ?? true, buffers)
      if (!source) {
        unreachable++
        continue
      }
      sources.push(source)
      candidates.push({source, summary})
    }
    if (candidates.length === 0 && unreachable > 0) {
      throw new LanspreadError('no_peers', `the peers that have game ${id} are not connected right now`, {
        hint: 'they are dialled again in the background; run the fetch again in a moment',
      })
    }
    if (candidates.length === 0) {
      throw new LanspreadError('not_found', `no peer${options.from ? ` ${options.from}` : ''} has game ${id}`, {
        hint: 'run `lanspread library --peers` to see which games the peers have',
      })
    }
    // The download swarms (SPEC §5.1): served and announced while it runs, partial peers joining.
    let running: RunningDownload | undefined
    let feed: SwarmFeed | undefined
    const result: DownloadResult = await downloadGame(
      {
        id,
        candidates,
        self: runtime.peerId,
        beforePublish: () => runtime.library.learn(entryFrom(id, records)),
        onStarted: (view) => (running = runtime.downloads.add(view)),
        onSwarm: (swarm) => {
          if (running === undefined) return
          const started = new Map(sources.map((source) => [source.peerId, source]))
          const sourceOf = (record: PeerRecord) => track(sources, sourceFor(runtime, record, options.bulk ?? true, buffers))
          feed = new SwarmFeed({runtime, id, download: running, swarm, started, sourceFor: sourceOf, ...(options.from ? {from: options.from} : {})})
          feed.start()
        },
        onSourceDropped: (peerId, reason, forGood) => {
          feed?.dropped(peerId)
          runtime.log('warn', `peer ${peerId} is ${forGood ? 'no longer a source' : 'not a source for now'} of game ${id}: ${reason}`)
        },
        ...(options.signal ? {signal: options.signal} : {}),
        ...(options.onProgress ? {onProgress: (progress) => options.onProgress?.(id, progress)} : {}),
      },
      {operations: runtime.operations},
    ).finally(() => {
      feed?.stop()
      running?.end()
    })
    const install = options.install ? await installFetched(runtime, id) : {installed: false}
    return {
      id,
      eti_version: result.eti_version,
      manifest_hash: result.manifest_hash,
      bytes: result.bytes,
      reused_bytes: result.reused_bytes,
      elapsed_ms: result.elapsed_ms,
      sources: result.sources.map((counted) => ({...counted, ...transportOf(sources, counted.peer_id)})),
      retried_chunks: result.retried_chunks,
      ...install,
    }
  } finally {
    await Promise.allSettled(sources.map((source) => source.close?.()))
  }
}

async function installFetched(runtime: FetchRuntime, id: GameId): Promise<Pick<FetchedGame, 'installed' | 'install' | 'kept'>> {
  const result = await runtime.operations.installLatest(id)
  if (result.action === 'updated') return {installed: true, install: 'updated', kept: result.kept ?? []}
  return {installed: true, install: result.action === 'installed' ? 'installed' : 'unchanged'}
}

/** The best data plane to a connected peer: bulk TLS for chunks when offered, checked against its pin. */
function sourceFor(runtime: FetchRuntime, record: PeerRecord, bulk: boolean, buffers: ChunkBufferPool): GameSource | undefined {
  const connection = runtime.sessions.connectionOf(record.peer_id)
  if (!connection) return undefined
  const quic = new QuicGameSource(connection, {peerId: record.peer_id, timeoutMs: SOURCE_REQUEST_TIMEOUT_MS})
  if (!bulk || !record.features.includes(FEATURE_BULK_TLS) || record.bulk_port === null) return quic
  const source = new BulkTlsGameSource({
    peerId: record.peer_id,
    host: connection.remoteHost,
    port: record.bulk_port,
    expectedFingerprint: record.cert_fingerprint,
    certificate: runtime.certificate,
    control: quic,
    fallback: quic,
    settings: {connectTimeoutMs: runtime.settings.bulkConnectTimeoutMs, replyTimeoutMs: runtime.settings.bulkReplyTimeoutMs},
    onFallback: (reason) =>
      runtime.log(
        'warn',
        `peer ${record.peer_id}: its bulk TLS port ${connection.remoteHost}:${record.bulk_port} is unusable (${reason}); its chunks come over ${connection.transport === 'quic' ? 'QUIC' : 'the portable transport'}`,
      ),
    buffers,
  })
  source.warm()
  return source
}

/** The catalog entry that comes with a download (SPEC §2.3): the name a ready source gives the game. */
function entryFrom(id: GameId, records: readonly PeerRecord[]): CatalogEntry {
  const ready = records.map((record) => record.library.get(id)).find((summary) => summary?.availability === 'ready')
  return learnedEntry(id, ready?.name)
}

function transportOf(sources: readonly GameSource[], peerId: string): SourceTransport {
  return sources.findLast((source) => source.peerId === peerId)?.transport ?? {transport: 'quic'}
}

/** Keeps a source made during the download with the others, so it is closed when the fetch ends. */
function track(sources: GameSource[], source: GameSource | undefined): GameSource | undefined {
  if (source !== undefined) sources.push(source)
  return source
}

function noPeers(from: string | undefined): LanspreadError {
  return new LanspreadError('no_peers', from ? `peer ${from} is not connected` : 'no peers are connected', {
    hint: from ? 'run `lanspread peers` to see the connected peers' : "start the other machines' `lanspread serve`, or name them with --peer HOST:PORT",
  })
}

/** The chunk size of game `id` as the peers' summaries give its size (the largest, should they differ). */
function chunkBufferSize(records: readonly PeerRecord[], id: GameId): number {
  const sizes = records.flatMap((record) => {
    const size = record.library.get(id)?.size
    return size === undefined ? [] : [chunkSizeFor(size)]
  })
  return Math.max(chunkSizeFor(0), ...sizes)
}
