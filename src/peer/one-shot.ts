// A peer for one command when no serve runs (`lanspread fetch --peer …`): the same runtime,
// started, given a bounded time to meet its static peers and learn their libraries, used,
// and stopped.
import type {LanspreadPaths} from '../config.js'
import {discoverySources} from '../discovery/sources.js'
import type {PeerAddress} from './peer-table.js'
import {PeerRuntime} from './runtime.js'
import {runtimeSettings} from './settings.js'

export interface OneShotOptions {
  paths: LanspreadPaths
  peers: PeerAddress[]
  bulk: boolean
  /** mDNS discovery of the peers (`--no-mdns` turns it off) and where it runs (`--interface`). */
  mdns: boolean
  interfaces: string[]
  /** How long to wait for the peers and their libraries (with mDNS: at most). */
  meetTimeoutMs: number
  log(message: string): void
}

export async function withOneShotPeer<T>(options: OneShotOptions, work: (runtime: PeerRuntime) => Promise<T>): Promise<T> {
  const runtime = await PeerRuntime.start(
    {
      paths: options.paths,
      host: options.mdns ? '0.0.0.0' : listenHost(options.peers),
      port: 0,
      discovery: discoverySources(
        {staticPeers: options.peers, mdns: options.mdns, interfaces: options.interfaces},
        (level, message) => level === 'warn' && options.log(message),
      ),
      settings: runtimeSettings(),
      watch: false,
      bulk: options.bulk,
    },
    (event, data) => {
      if (event === 'log' && (data as {level: string}).level === 'warn') options.log((data as {message: string}).message)
    },
  )
  try {
    await meetPeers(runtime, options.peers.length, options.meetTimeoutMs, options.mdns)
    return await work(runtime)
  } finally {
    await runtime.stop('done')
  }
}

/**
 * Waits until `count` static peers are known with their libraries, or the time is up (then goes
 * on with those it has). With mDNS the peers are not known in advance: after the first round
 * of answers (about a second), it waits until every peer that answered has sent its library.
 */
async function meetPeers(runtime: PeerRuntime, count: number, timeoutMs: number, mdns: boolean): Promise<void> {
  const start = Date.now()
  const deadline = start + timeoutMs
  const synced = (): number => runtime.table.records().filter((record) => record.library.position !== undefined).length
  const met = (): boolean => {
    if (synced() < count) return false
    if (!mdns) return true
    return Date.now() - start >= MDNS_LISTEN_MS && synced() > 0 && synced() === runtime.table.records().length
  }
  while (!met() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

/** How long a one-shot peer listens to mDNS before it trusts it heard the LAN. */
const MDNS_LISTEN_MS = 1500

/** Listens on loopback when every peer is on this machine, on every interface otherwise. */
function listenHost(peers: readonly PeerAddress[]): string {
  return peers.every((peer) => peer.host === 'localhost' || peer.host.startsWith('127.')) ? '127.0.0.1' : '0.0.0.0'
}
