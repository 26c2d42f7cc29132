// Runs real peer runtimes in the test process, on loopback with static peers and short
// timeouts, each over its own temp games folder; every runtime is stopped after its test.
import {onTestFinished} from 'vitest'
import {StaticPeers} from '../../src/discovery/static-peers.js'
import type {PeerAddress} from '../../src/peer/peer-table.js'
import {PeerRuntime} from '../../src/peer/runtime.js'
import {type RuntimeSettings, runtimeSettings} from '../../src/peer/settings.js'
import type {Message} from '../../src/protocol/messages.js'
import type {TransportName} from '../../src/words/transports.js'
import {type TempLibrary, makeTempLibrary} from './temp-library.js'

export const FAST_SETTINGS: Partial<RuntimeSettings> = {
  pingAfterMs: 400,
  staleAfterMs: 1500,
  requestTimeoutMs: 3000,
  redialMinMs: 100,
  redialMaxMs: 400,
  livenessTickMs: 100,
  rescanIntervalMs: 60_000,
}

export interface TestPeer {
  runtime: PeerRuntime
  library: TempLibrary
  address: PeerAddress
  /** Frames this peer received, by type. */
  received: Message['type'][]
  logs: string[]
  stop(): Promise<void>
}

export async function startPeer(
  options: {
    library?: TempLibrary
    games?: Record<string, Record<string, string>>
    peers?: PeerAddress[]
    host?: string
    port?: number
    idleTimeoutMs?: number
    settings?: Partial<RuntimeSettings>
    watch?: boolean
    bulk?: boolean
    handshakeGamesMax?: number
    /** The peer transport it runs: portable runs it alone (as without QUIC); default: auto (QUIC and portable). */
    transport?: TransportName
  } = {},
): Promise<TestPeer> {
  const games = options.games ?? {}
  const library = options.library ?? (await makeTempLibrary(Object.keys(games).map((id) => ({id, name: id}))))
  for (const [id, files] of Object.entries(games)) await library.writeGame(id, files)
  const logs: string[] = []
  const runtime = await PeerRuntime.start(
    {
      paths: library.paths,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      discovery: [new StaticPeers(options.peers ?? [])],
      settings: runtimeSettings({...FAST_SETTINGS, ...options.settings}, {}),
      transport: {maxIdleTimeoutMs: options.idleTimeoutMs ?? 3000, keepAliveIntervalMs: 500},
      watch: options.watch ?? true,
      bulk: options.bulk ?? true,
      ...(options.handshakeGamesMax === undefined ? {} : {handshakeGamesMax: options.handshakeGamesMax}),
      ...(options.transport === 'portable' ? {transportMode: 'portable' as const} : {}),
    },
    // From the very start: recovery and the first dials log before start() resolves.
    (event, data) => {
      if (event === 'log') logs.push(`${(data as {level: string}).level}: ${(data as {message: string}).message}`)
    },
  )
  const received: Message['type'][] = []
  runtime.sessions.on('frames', (frame) => {
    if (frame.direction === 'in') received.push(frame.type)
  })
  let stopped = false
  const peer: TestPeer = {
    runtime,
    library,
    address: {host: options.host ?? '127.0.0.1', port: runtime.endpoint.address().port},
    received,
    logs,
    async stop() {
      if (stopped) return
      stopped = true
      await runtime.stop()
    },
  }
  onTestFinished(() => peer.stop())
  return peer
}

/** Polls `check` every 20 ms until it holds, for at most `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** The game IDs `peer` knows another peer to have. */
export function gamesOf(peer: TestPeer, other: TestPeer): string[] {
  return (peer.runtime.table.get(other.runtime.peerId)?.library.list() ?? []).map((game) => game.id).sort()
}
