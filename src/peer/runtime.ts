// The long-lived peer behind `lanspread serve`: recovers and scans the library, watches it,
// listens for peers over QUIC, keeps their libraries in sync with ours and answers the
// control socket. It composes the modules below it and owns their start and stop order.
import {EventEmitter} from 'node:events'
import os from 'node:os'
import path from 'node:path'
import type {LanspreadPaths} from '../config.js'
import {controlSocketPath} from '../control/attach.js'
import {ControlServer, toControlError} from '../control/server.js'
import type {AdvertisedLibrary, DiscoverySource} from '../discovery/discovery.js'
import {LanspreadError, errorMessage, isLanspreadError} from '../errors.js'
import {PidLock} from '../fs/pid-lock.js'
import type {LibraryDelta} from '../library/library-delta.js'
import {assertGamesDir} from '../library/games-folder.js'
import {Library} from '../library/library.js'
import {loadOrCreatePeerIdentity} from '../library/identity.js'
import {GameOperations} from '../ops/game-operations.js'
import {GameServer} from '../serving/game-server.js'
import {RevisionHistory} from '../sync/revision-history.js'
import type {LibraryPosition, LocalLibraryView} from '../sync/library-sync.js'
import {certificateFingerprint, loadOrCreateCertificate} from '../transport/certs.js'
import type {TransportSettings} from '../transport/endpoint.js'
import {PinStore, pinsDirFor} from '../transport/pins.js'
import type {TransportSet} from '../transport/transport-set.js'
import {BulkTlsServer} from '../transport/bulk-tls-server.js'
import type {Certificate} from '../transport/transport-settings.js'
import {FEATURE_BULK_TLS} from '../protocol/messages.js'
import {startBulk} from './bulk-plane.js'
import {controlHandler} from './control-handlers.js'
import {Dialer} from './dialer.js'
import {type LibraryWatch, watchLibrary} from './library-watch.js'
import {Liveness} from './liveness.js'
import {BROADCAST_EVENTS, RUNTIME_EVENTS, type RuntimeEventSink, type RuntimeEvents} from './runtime-events.js'
import {tell} from './messaging.js'
import {PeerSessions} from './peer-sessions.js'
import {type PeerAddress, PeerTable} from './peer-table.js'
import type {ControlRuntime, LogLevel} from './runtime-view.js'
import type {RuntimeSettings} from './settings.js'
import {PLAN_WAIT_MS, RunningDownloads} from './swarm/running-downloads.js'
import {type TransportMode, chooseTransports, describeTransports} from './transport-choice.js'

export const DEFAULT_PORT = 4870

export interface PeerRuntimeOptions {
  paths: LanspreadPaths
  host: string
  port: number
  discovery: DiscoverySource[]
  settings: RuntimeSettings
  transport?: Partial<TransportSettings>
  /** Which peer transports run (`serve --transport`, default auto: QUIC where it loads, and portable). */
  transportMode?: TransportMode
  /** Watch the games folder (on by default). */
  watch?: boolean
  /** Serve chunks over bulk TLS too (on by default; `--no-bulk` turns it off). */
  bulk?: boolean
  /** The bulk TLS port, over TCP (SPEC §4.5); default: the QUIC `port` number (0: any free port). */
  bulkPort?: number
  /** The largest library sent inside Hello / HelloAck (PeerSessionsOptions). */
  handshakeGamesMax?: number
}

export type {LogLevel} from './runtime-view.js'
export {RUNTIME_EVENTS, type RuntimeEventSink, type RuntimeEvents} from './runtime-events.js'

/** The modules a runtime composes. */
export interface RuntimeParts {
  peerId: string
  /** This peer's certificate and key: presented on QUIC and bulk TLS, and as a bulk-TLS client. */
  certificate: Certificate
  library: Library
  operations: GameOperations
  sessions: PeerSessions
  endpoint: TransportSet
  /** Why QUIC does not run here, when it does not. */
  quicMissing: string | undefined
  pins: PinStore
  table: PeerTable
  history: RevisionHistory
  /** Answers GetGame and GetChunk (on QUIC here; the bulk data plane takes its handle too). */
  games: GameServer
  /** The bulk data plane and its TCP port; undefined with `--no-bulk`. */
  bulk: {server: BulkTlsServer; port: number} | undefined
  /** The downloads running here: served from, announced (GetChunkMap, Have), told other peers' Haves. */
  downloads: RunningDownloads
}

export class PeerRuntime extends EventEmitter<RuntimeEvents> implements ControlRuntime {
  readonly peerId: string
  readonly certificate: Certificate
  readonly library: Library
  readonly operations: GameOperations
  readonly sessions: PeerSessions
  readonly endpoint: TransportSet
  readonly quicMissing: string | undefined
  readonly pins: PinStore
  readonly table: PeerTable
  readonly history: RevisionHistory
  readonly games: GameServer
  readonly downloads: RunningDownloads
  /** The TCP port of the bulk data plane, or null with `--no-bulk`. */
  readonly bulkPort: number | null
  readonly bulkServer: BulkTlsServer | undefined
  private readonly cleanups: (() => Promise<void> | void)[] = []
  private watch: LibraryWatch | undefined
  /** What recovery at start did, logged once the runtime reports events. */
  private recovered: string[] = []
  private stopped = false

  private constructor(
    parts: RuntimeParts,
    private readonly options: PeerRuntimeOptions,
  ) {
    super()
    this.peerId = parts.peerId
    this.certificate = parts.certificate
    this.library = parts.library
    this.operations = parts.operations
    this.sessions = parts.sessions
    this.endpoint = parts.endpoint
    this.quicMissing = parts.quicMissing
    this.pins = parts.pins
    this.table = parts.table
    this.history = parts.history
    this.games = parts.games
    this.downloads = parts.downloads
    this.bulkPort = parts.bulk?.port ?? null
    this.bulkServer = parts.bulk?.server
  }

  /** Starts serve; refuses at once (busy) when another serve holds this state folder. */
  static async start(options: PeerRuntimeOptions, onEvent?: RuntimeEventSink): Promise<PeerRuntime> {
    const {paths} = options
    // Before the lock, which would create the state folder (and the games folder with it) by default inside it.
    await assertGamesDir(paths.gamesDir)
    const serveLock = await PidLock.acquire(path.join(paths.locksDir, 'serve.lock'), {subject: `the state folder ${paths.stateDir}`, purpose: 'serve'}).catch(
      (error: unknown) => {
        if (!isLanspreadError(error, 'busy')) throw error
        throw new LanspreadError('busy', `another lanspread serve already runs for ${paths.stateDir} (${error.message.replace(/^.* is busy: /, '')})`, {
          hint: 'the other commands use that serve already; stop it first to start another, or give this one its own --games or --state-dir',
        })
      },
    )
    const undo: (() => Promise<void> | void)[] = [() => serveLock.release()]
    try {
      const runtime = await PeerRuntime.compose(options, undo)
      // The lock goes last when serve stops (cleanups run in reverse).
      runtime.cleanups.unshift(() => serveLock.release())
      if (onEvent) runtime.forwardTo(onEvent)
      await runtime.begin()
      return runtime
    } catch (error) {
      for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => {})
      throw error
    }
  }

  private static async compose(options: PeerRuntimeOptions, undo: (() => Promise<void> | void)[]): Promise<PeerRuntime> {
    const {paths, settings} = options
    const identity = await loadOrCreatePeerIdentity(paths.peerPath)
    const operations = new GameOperations(paths)
    const library = await Library.open(paths, {operations})
    // Recovery of every game first, so serve never offers a half-installed game; the library
    // is attached afterwards, so the start costs one refresh (one revision), not one per game.
    const recovered = await operations.recover()
    operations.attachLibrary(library)
    const tls = await loadOrCreateCertificate(paths.tlsDir)
    // A connected peer's pin is never evicted to make room for a new one.
    const pins = new PinStore(pinsDirFor(paths.stateDir), {connected: (peerId) => runtime?.sessions.connectionOf(peerId) !== undefined})
    // Assigned once every part exists; the closures here read it only later, when events come.
    // eslint-disable-next-line prefer-const
    let runtime: PeerRuntime | undefined
    const log = (level: LogLevel, message: string): void => void runtime?.emit('log', {level, message})
    const {endpoint, quicMissing} = await chooseTransports(
      options.transportMode ?? 'auto',
      {certificate: tls, ...(options.transport ? {settings: options.transport} : {})},
      (level, message) => log(level === 'error' ? 'warn' : level, message),
    )
    const history = new RevisionHistory()
    const view: LocalLibraryView = {
      position: () => position(library),
      games: () => library.snapshot().games,
      history,
    }
    const table = new PeerTable()
    // A Have waits for the peer no longer than any request; a follower that does not take it is dropped.
    const downloads = new RunningDownloads((connection, message, peer) => tell(connection, message, {timeoutMs: settings.requestTimeoutMs, peer}), {
      // Answered well within the asker's own request timeout.
      planWaitMs: Math.min(PLAN_WAIT_MS, settings.requestTimeoutMs / 2),
      announced: (id, contentHash) => {
        const summary = library.summary(id)
        return summary?.availability === 'downloading' && summary.content_hash === contentHash
      },
    })
    const games = new GameServer(
      {permitWaitMs: settings.requestTimeoutMs, permitHoldMs: 3 * settings.requestTimeoutMs},
      {library, operations, log, partials: downloads},
    )
    // Chunk bytes travel over TLS-over-TCP when both sides can (SPEC §4.5): only to peers
    // connected now (over QUIC or the portable transport), identified by the certificate pinned to them.
    const bulk =
      options.bulk === false
        ? undefined
        : await startBulk(
            {host: options.host, port: options.bulkPort ?? options.port, flag: options.bulkPort === undefined ? '--port' : '--bulk-port'},
            tls,
            table,
            games,
            log,
          )
    if (bulk) undo.push(() => bulk.server.stop())
    const sessions = new PeerSessions(
      {
        peerId: identity.peer_id,
        hostname: os.hostname(),
        ...(bulk ? {features: [FEATURE_BULK_TLS], bulkPort: bulk.port} : {}),
        ...(options.handshakeGamesMax === undefined ? {} : {handshakeGamesMax: options.handshakeGamesMax}),
      },
      {endpoint, table, pins, library: view, settings, log},
    )
    sessions.handle('GetGame', games.handle)
    sessions.handle('GetChunk', games.handle)
    sessions.handlePeer('GetChunkMap', (message, peerId, connection) =>
      message.type === 'GetChunkMap' ? downloads.answer(message, peerId, connection) : undefined,
    )
    sessions.handlePeer('Have', (message, peerId) => {
      if (message.type === 'Have') downloads.have(message, peerId)
      return undefined
    })
    runtime = new PeerRuntime(
      {peerId: identity.peer_id, certificate: tls, library, operations, sessions, endpoint, quicMissing, pins, table, history, games, bulk, downloads},
      options,
    )
    if (bulk) runtime.cleanups.push(() => bulk.server.stop())
    runtime.recovered = recovered.filter((report) => report.action !== 'nothing_to_do').map((report) => `recovered ${report.id}: ${report.action}`)
    undo.push(() => endpoint.stop())
    return runtime
  }

  /** The timing knobs this runtime was started with. */
  get settings(): RuntimeSettings {
    return this.options.settings
  }

  /** File events dropped during operations and rescans run by the watcher (for tests and status). */
  watcherStats(): {dropped: number; rescans: number} | undefined {
    return this.watch ? {...this.watch.gate.stats} : undefined
  }

  position(): LibraryPosition {
    return position(this.library)
  }

  /** Stops everything in reverse order; tells peers goodbye first (bounded). */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.sessions.goodbye(Math.min(1000, this.options.settings.requestTimeoutMs))
    for (const step of this.cleanups.reverse())
      await Promise.resolve(step()).catch((error: unknown) => this.log('warn', `while stopping: ${errorMessage(error)}`))
    this.games.uploads.stop()
    this.emit('stopped', {reason})
  }

  private async begin(): Promise<void> {
    const {paths, settings} = this.options
    this.cleanups.push(() => this.endpoint.stop())
    for (const line of this.recovered) this.log('info', line)
    await this.library.refresh()
    this.library.on('changed', (delta) => this.onLocalRevision(delta))

    const address = await this.endpoint.start({host: this.options.host, port: this.options.port})
    this.log('info', describeTransports(this.endpoint, this.quicMissing))
    this.wireTableEvents()

    const control = await ControlServer.listen({
      socketPath: controlSocketPath(paths),
      handle: controlHandler(this),
      onClientError: (message) => this.log('warn', message),
    })
    this.cleanups.push(() => control.close())
    for (const event of BROADCAST_EVENTS) this.on(event, (data: unknown) => control.broadcast(event, data))

    if (this.options.watch !== false) {
      const watch = (this.watch = await watchLibrary({
        paths,
        settings,
        rescan: (ids) => this.refresh({only: ids}),
        operations: this.operations,
        reloadCatalog: () => this.library.reloadCatalog(),
        log: (level, message) => this.log(level, message),
      }))
      this.cleanups.push(() => watch.close())
    }
    const rescan = setInterval(() => void this.refresh({}), settings.rescanIntervalMs)
    rescan.unref()
    this.cleanups.push(() => clearInterval(rescan))

    const liveness = new Liveness({table: this.table, sessions: this.sessions, settings, now: Date.now, log: (level, message) => this.log(level, message)})
    liveness.start()
    this.cleanups.push(() => liveness.stop())

    const connectedAt = (address: PeerAddress): string | undefined => this.table.peersAt(address).find((id) => this.sessions.connectionOf(id) !== undefined)
    const dialer = new Dialer({selfId: this.peerId, sessions: this.sessions, connectedAt, settings, log: (level, message) => this.log(level, message)})
    this.cleanups.push(() => dialer.stop())
    const self = {
      peer_id: this.peerId,
      port: address.port,
      hostname: os.hostname(),
      cert_fingerprint: certificateFingerprint(this.certificate.certPem),
      transports: this.endpoint.offer(),
      library: this.advertisedLibrary(),
    }
    for (const source of this.options.discovery) {
      await source.start((peer) => dialer.found(peer), self)
      this.cleanups.push(() => source.stop())
    }
    // A lost peer may come back at another address: a source that can look again does.
    this.table.on('peer_lost', (peer) => {
      for (const source of this.options.discovery) source.forget?.(peer.peer_id)
    })
    const {library_rev, library_epoch} = this.position()
    const {transports, portable_port} = this.endpoint.offer()
    this.emit('listening', {
      peer_id: this.peerId,
      host: address.host,
      port: address.port,
      bulk_port: this.bulkPort,
      transports,
      portable_port: portable_port ?? null,
      library_rev,
      library_epoch,
    })
  }

  private wireTableEvents(): void {
    this.table.on('peer_found', (peer) => this.emit('peer_found', peer))
    this.table.on('peer_updated', (peer) => this.emit('peer_updated', peer))
    this.table.on('peer_lost', (peer) => {
      void this.sessions.drop(peer.peer_id)
      this.emit('peer_lost', peer)
    })
    this.sessions.on('peer_refused', (event) => this.emit('peer_refused', event))
    this.operations.on('started', ({id, kind}) => this.emit('operation_started', {id, kind}))
    this.operations.on('finished', ({id, kind}) => this.emit('operation_finished', {id, kind}))
    this.operations.on('failed', ({id, kind, error}) => {
      const failure = toControlError(error)
      this.emit('operation_failed', {id, kind, code: failure.code, message: failure.message})
    })
    this.sessions.on('peer_library_changed', (event) => this.emit('peer_library_changed', event))
  }

  private async refresh(options: {only?: string[]; full?: boolean}): Promise<void> {
    if (this.stopped) return
    try {
      await this.library.refresh(options)
    } catch (error) {
      this.log('warn', `library refresh failed: ${errorMessage(error)}`)
    }
  }

  private onLocalRevision(delta: LibraryDelta): void {
    // Into the history deltas are served from, and pushed to every admitted peer (LibrarySync).
    this.sessions.sync.published(delta)
    const {library_rev, library_epoch} = this.position()
    this.emit('library_changed', {
      library_rev,
      library_epoch,
      added: delta.added.map((g) => g.id),
      updated: delta.updated.map((g) => g.id),
      removed: [...delta.removed],
    })
    const library = this.advertisedLibrary()
    for (const source of this.options.discovery) source.announce?.(library)
  }

  private advertisedLibrary(): AdvertisedLibrary {
    const snapshot = this.library.snapshot()
    return {
      library_epoch: snapshot.library_epoch,
      library_rev: snapshot.library_rev,
      library_digest: snapshot.library_digest,
      game_count: snapshot.games.length,
    }
  }

  private forwardTo(onEvent: RuntimeEventSink): void {
    for (const event of RUNTIME_EVENTS) this.on(event, (data: unknown) => onEvent(event, data))
  }

  log(level: LogLevel, message: string): void {
    this.emit('log', {level, message})
  }
}

function position(library: Library): LibraryPosition {
  const snapshot = library.snapshot()
  return {library_epoch: snapshot.library_epoch, library_rev: snapshot.library_rev, library_digest: snapshot.library_digest}
}
