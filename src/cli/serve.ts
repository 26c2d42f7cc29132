// `lanspread serve` without oclif: starts the runtime, prints its events (serve-log.ts: human
// lines on stderr, or JSON lines on stdout), and stops it cleanly on SIGINT or SIGTERM (on Windows
// SIGINT, SIGBREAK or SIGHUP: stop-signals.ts).
import type {LanspreadPaths} from '../config.js'
import {runtimeInfo, runtimeText} from '../control/runtime-info.js'
import {discoverySources} from '../discovery/sources.js'
import type {PeerAddress} from '../peer/peer-table.js'
import {PeerRuntime} from '../peer/runtime.js'
import {runtimeSettings} from '../peer/settings.js'
import type {TransportMode} from '../words/transports.js'
import {serveLog} from './serve-log.js'
import {stopSignals} from './stop-signals.js'

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
  // Said once at start: on Windows or macOS a fallback may stand in for a native module.
  print('log', {level: 'info', message: `runtime: ${runtimeText(runtimeInfo())}`})
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
  await runtime.stop(await firstSignal(stopSignals()))
}

/** Where signals arrive: the process, or an emitter in a test. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown
  off(signal: NodeJS.Signals, listener: () => void): unknown
}

/** Resolves with the first of `signals` that arrives, then listens no more. */
export function firstSignal(signals: readonly NodeJS.Signals[], on: SignalSource = process): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const listeners = signals.map((signal) => {
      const listener = (): void => {
        for (const [other, its] of listeners) on.off(other, its)
        resolve(signal)
      }
      on.once(signal, listener)
      return [signal, listener] as const
    })
  })
}
