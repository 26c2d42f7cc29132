// The network side of the API without serve: `peers` browses mDNS for a while, `fetch` runs a
// one-shot peer that meets the peers (mDNS, --peer addresses), downloads and stops. Their heavy
// modules (mDNS, QUIC, TLS, the downloader) load only when called.
import type {LanspreadPaths} from '../config.js'
import type {FetchResult} from '../control/fetch-documents.js'
import {mdnsAllowed} from '../discovery/mdns-switch.js'
import {parsePeerAddress} from '../discovery/static-peers.js'
import {LanspreadError} from '../errors.js'
import {assertGamesDir} from '../library/games-folder.js'
import {serveNotRunning, tooFewPeers} from './api-errors.js'
import type {FetchHooks, FetchRequest, PeersDocument, PeersRequest} from './lanspread-api.js'

/** Without serve, how peers are found. */
export interface DiskDiscovery {
  /** mDNS (`--no-mdns` turns it off; LANSPREAD_MDNS=0 too). */
  mdns: boolean
  /** Interface names or IPv4 addresses to run mDNS on (`--interface`); empty: every usable one. */
  interfaces: string[]
  /** Static peers HOST:PORT a one-shot fetch dials (`fetch --peer`). */
  peers: string[]
  /** How long a one-shot fetch waits (at most) for the peers and their libraries. */
  meetTimeoutMs: number
}

export const DEFAULT_DISK_DISCOVERY: DiskDiscovery = {mdns: true, interfaces: [], peers: [], meetTimeoutMs: 10_000}

export interface DiskNetworkComponents {
  paths: LanspreadPaths
  discovery: DiskDiscovery
  warn(message: string): void
  /** A line on stderr that says what is done instead of asking serve. */
  say(message: string): void
}

/** `peers` without serve: whoever answers mDNS within the wait (3 s unless given). */
export async function peersOverMdns(components: DiskNetworkComponents, {wait, expect}: PeersRequest): Promise<PeersDocument> {
  const {paths, discovery} = components
  const waitS = wait ?? 3
  if (!mdnsAllowed(discovery.mdns)) throw serveNotRunning(paths)
  // Never a silent fallback: the user learns that serve is not running, and what is done instead.
  components.say(`lanspread serve is not running for ${paths.stateDir}: listening to mDNS for ${waitS} s instead`)
  const {browsePeers} = await import('../discovery/browse.js')
  const found = await browsePeers({
    interfaces: discovery.interfaces,
    waitMs: waitS * 1000,
    ...(expect === undefined ? {} : {expect}),
    log: (message) => components.warn(message),
  })
  const where = `over mDNS for ${waitS} s on ${found.interfaces.join(', ') || 'no interface'} (lanspread serve is not running for ${paths.stateDir})`
  // "No peers." with exit 0 would read as an empty LAN; without serve it only means nobody answered.
  if (found.peers.length === 0 && expect === undefined) throw tooFewPeers(0, 1, where)
  if (expect !== undefined && found.peers.length < expect) throw tooFewPeers(found.peers.length, expect, where)
  return {peers: found.peers, source: 'mdns'}
}

/** `fetch` without serve: a one-shot peer meets the peers, downloads, and stops. */
export async function fetchOneShot(components: DiskNetworkComponents, request: FetchRequest, hooks: FetchHooks): Promise<FetchResult> {
  const {paths, discovery} = components
  // A missing games folder is the first thing to say, before any word about peers.
  await assertGamesDir(paths.gamesDir)
  const mdns = mdnsAllowed(discovery.mdns)
  if (discovery.peers.length === 0 && !mdns) {
    throw new LanspreadError('no_peers', 'no peers to fetch from: lanspread serve is not running, mDNS is off and no --peer was given', {
      hint: `start \`lanspread serve\` (it finds the peers), leave mDNS on, or name them: lanspread fetch ${request.ids.join(' ')} --peer HOST:PORT`,
    })
  }
  const addresses = discovery.peers.map(parsePeerAddress)
  const {withOneShotPeer} = await import('../peer/one-shot.js')
  const {fetchGames} = await import('../peer/fetch-games.js')
  // Up to the meeting time passes before the first byte: say what happens meanwhile.
  const where = [...discovery.peers, ...(mdns ? ['mDNS'] : [])].join(', ')
  components.say(`lanspread serve is not running: looking for peers (${where}) for up to ${discovery.meetTimeoutMs / 1000} s…`)
  const bulk = request.bulk ?? true
  const {onProgress} = hooks
  return withOneShotPeer(
    {paths, peers: addresses, bulk, mdns, interfaces: discovery.interfaces, meetTimeoutMs: discovery.meetTimeoutMs, log: (m) => components.warn(m)},
    (runtime) =>
      fetchGames(runtime, {
        ids: request.ids,
        ...(request.from === undefined ? {} : {from: request.from}),
        install: request.install ?? false,
        bulk,
        ...(onProgress ? {onProgress: (_id, progress) => onProgress(progress)} : {}),
      }),
  )
}
