// `lanspread serve` without oclif: starts the runtime, prints its events (serve-log.ts: human
// lines on stderr, or JSON lines on stdout), and stops it cleanly on SIGINT or SIGTERM.
import type {LanspreadPaths} from '../config.js'
import {discoverySources} from '../discovery/sources.js'
import type {PeerAddress} from '../peer/peer-table.js'
import {PeerRuntime} from '../peer/runtime.js'
import {runtimeSettings} from '../peer/settings.js'
import type {TransportMode} from '../words/transports.js'
import {serveLog} from './serve-log.js'

export interface ServeOptions {
  paths: LanspreadPaths
  host: string
  port: number
  staticPeers: PeerAddress[]
  rescanIntervalMs: number
  json: boolean
  bulk: boolean
  /** `--transport`: which peer transports run. */
  transportMode: TransportMode
  /** `--bulk-port`; undefined: the QUIC port number. */
  bulkPort?: number
  /** mDNS discovery (`--no-mdns` turns it off) and where it runs (`--interface`). */
  mdns: boolean
  interfaces: string[]
}

export async function serveUntilSignal(options: ServeOptions): Promise<void> {
  const print = serveLog(options.json)
  const runtime = await PeerRuntime.start(
    {
      paths: options.paths,
      host: options.host,
      port: options.port,
      discovery: discoverySources({staticPeers: options.staticPeers, mdns: options.mdns, interfaces: options.interfaces}, (level, message) =>
        print('log', {level, message}),
      ),
      settings: runtimeSettings({rescanIntervalMs: options.rescanIntervalMs}),
      bulk: options.bulk,
      transportMode: options.transportMode,
      ...(options.bulkPort === undefined ? {} : {bulkPort: options.bulkPort}),
    },
    print,
  )
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  await runtime.stop(signal)
}
