// A peer for one command when no serve runs (`lanspread fetch --peer …`): the same runtime,
// started, given a bounded time to meet its static peers and learn their libraries, used,
// and stopped.
import type {LanspreadPaths} from '../config.js'
import {StaticPeers} from '../discovery/static-peers.js'
import type {PeerAddress} from './peer-table.js'
import {PeerRuntime} from './runtime.js'
import {runtimeSettings} from './settings.js'

export interface OneShotOptions {
  paths: LanspreadPaths
  peers: PeerAddress[]
  bulk: boolean
  /** How long to wait for the peers and their libraries. */
  meetTimeoutMs: number
  log(message: string): void
}

export async function withOneShotPeer<T>(options: OneShotOptions, work: (runtime: PeerRuntime) => Promise<T>): Promise<T> {
  const runtime = await PeerRuntime.start(
    {paths: options.paths, host: listenHost(options.peers), port: 0, discovery: [new StaticPeers(options.peers)], settings: runtimeSettings(), watch: false, bulk: options.bulk},
    (event, data) => {
      if (event === 'log' && (data as {level: string}).level === 'warn') options.log((data as {message: string}).message)
    },
  )
  try {
    await meetPeers(runtime, options.peers.length, options.meetTimeoutMs)
    return await work(runtime)
  } finally {
    await runtime.stop('done')
  }
}

/** Waits until `count` peers are known with their libraries, or the time is up (then goes on with those it has). */
async function meetPeers(runtime: PeerRuntime, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const met = (): boolean => runtime.table.records().filter((record) => record.library.position !== undefined).length >= count
  while (!met() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

/** Listens on loopback when every peer is on this machine, on every interface otherwise. */
function listenHost(peers: readonly PeerAddress[]): string {
  return peers.every((peer) => peer.host === 'localhost' || peer.host.startsWith('127.')) ? '127.0.0.1' : '0.0.0.0'
}
