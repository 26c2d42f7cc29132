// serve's log: the runtime's events as lines a human reads on stderr (each with its time), or,
// under --json, one JSON object per event on stdout (log lines stay human, on stderr). The
// runtime only emits events (src/peer/runtime-events.ts); how they read is the CLI's business.
import type {RuntimeEventSink, RuntimeEvents} from '../peer/runtime-events.js'

/** The sink serve prints its events with. */
export function serveLog(json: boolean): RuntimeEventSink {
  return json ? printJson : printHuman
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
