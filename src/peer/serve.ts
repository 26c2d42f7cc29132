// `lanspread serve` without oclif: starts the runtime, prints its events (human lines on
// stderr, or JSON lines on stdout), and stops it cleanly on SIGINT or SIGTERM.
import type {LanspreadPaths} from '../config.js'
import {discoverySources} from '../discovery/sources.js'
import type {PeerAddress} from './peer-table.js'
import {PeerRuntime, type RuntimeEventSink, type RuntimeEvents} from './runtime.js'
import {runtimeSettings} from './settings.js'

export interface ServeOptions {
  paths: LanspreadPaths
  host: string
  port: number
  staticPeers: PeerAddress[]
  rescanIntervalMs: number
  json: boolean
  bulk: boolean
  /** `--bulk-port`; undefined: the QUIC port number. */
  bulkPort?: number
  /** mDNS discovery (`--no-mdns` turns it off) and where it runs (`--interface`). */
  mdns: boolean
  interfaces: string[]
}

export async function serveUntilSignal(options: ServeOptions): Promise<void> {
  const print = options.json ? printJson : printHuman
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

const printJson: RuntimeEventSink = (event, data) => {
  if (event === 'log') return printHuman(event, data)
  process.stdout.write(JSON.stringify({event, time: new Date().toISOString(), ...(data as object)}) + '\n')
}

const printHuman: RuntimeEventSink = (event, data) => {
  // Every address refresh is an update, every quarter second of a download a progress: too chatty for a human log.
  if (event === 'peer_updated' || event === 'download_progress') return
  // Each line carries its time: serve runs for days as a service, and its log is read afterwards.
  process.stderr.write(`${new Date().toISOString()} ${describeEvent(event, data)}\n`)
}

function describeEvent(event: keyof RuntimeEvents, data: unknown): string {
  const d = data as Record<string, unknown>
  switch (event) {
    case 'log':
      return `${d.level === 'warn' ? 'warning: ' : ''}${String(d.message)}`
    case 'listening':
      return `serving as peer ${String(d.peer_id)} on ${String(d.host)}:${String(d.port)}${d.bulk_port === null ? '' : `, bulk TLS on TCP ${String(d.bulk_port)}`} (library_rev ${String(d.library_rev)})`
    case 'peer_found':
      return `peer found: ${String(d.peer_id)} (${String(d.hostname)}) at ${(d.addresses as string[]).join(', ')}`
    case 'peer_lost':
      return `peer lost: ${String(d.peer_id)} (${String(d.reason)})`
    case 'peer_refused':
      return `peer refused: ${String(d.address)} ${String(d.reason)}`
    case 'peer_library_changed':
      return `library of ${String(d.peer_id)}: ${String(d.game_count)} game${d.game_count === 1 ? '' : 's'} at revision ${String(d.library_rev)} (by ${String(d.outcome)})`
    case 'library_changed':
      return `library_rev ${String(d.library_rev)}: ${(['added', 'updated', 'removed'] as const).map((k) => `${(d[k] as string[]).length} ${k}`).join(', ')}`
    case 'peer_updated':
      return `peer updated: ${String(d.peer_id)}`
    case 'download_progress':
      return `${String(d.id)}: ${String(d.done_bytes)} of ${String(d.total_bytes)} bytes`
    case 'operation_started':
      return `${String(d.kind)} of ${String(d.id)} started`
    case 'operation_finished':
      return `${String(d.kind)} of ${String(d.id)} finished`
    case 'operation_failed':
      return `${String(d.kind)} of ${String(d.id)} failed: ${String(d.message)}`
    case 'stopped':
      return `stopped (${String(d.reason)})`
  }
}
