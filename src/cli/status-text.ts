// `lanspread status` for a human: one line about serve and one about its runtime, then its
// peers, downloads and uploads as tables (sizes and rates readable, times relative).
import {runtimeText} from '../control/runtime-info.js'
import type {Status} from '../control/status.js'
import {formatBytes, formatDuration, peersTable, table} from './render.js'

export function statusText(status: Status, now = Date.now()): string {
  const lines = [
    `serve is running: peer ${status.peer_id} on ${status.host}:${status.port}, up ${formatDuration(status.uptime_ms)} (since ${status.started_at}), library_rev ${status.library_rev}`,
    `runtime: ${runtimeText(status.runtime)}`,
    `transports: ${transportsText(status)}`,
    '',
    `Peers (${status.peers.length}):`,
    peersTable(status.peers, now),
    '',
  ]
  if (status.downloads.length === 0) lines.push('No downloads in progress.')
  else {
    lines.push(
      table(
        ['DOWNLOAD', 'DONE', 'OF', 'SHARE', 'RATE', 'SOURCES'],
        status.downloads.map((d) => [
          d.id,
          formatBytes(d.done_bytes),
          formatBytes(d.total_bytes),
          `${shareOf(d.done_bytes, d.total_bytes)}%`,
          `${formatBytes(d.rate)}/s`,
          d.sources.map((source) => `${source.peer_id} ${formatBytes(source.bytes)}`).join(', ') || '-',
        ]),
      ),
    )
  }
  if (status.uploads.length === 0) lines.push('No uploads in progress.')
  else {
    lines.push(
      table(
        ['UPLOAD', 'TO PEER', 'SENT', 'RATE'],
        status.uploads.map((u) => [u.id, u.peer_id, formatBytes(u.bytes), `${formatBytes(u.rate)}/s`]),
      ),
    )
  }
  return lines.join('\n')
}

/** Which peer transports serve runs, and why QUIC does not when it does not (record 0033). */
function transportsText(status: Pick<Status, 'port' | 'transports' | 'portable_port' | 'quic_missing'>): string {
  const names = status.transports.map((transport) =>
    transport === 'quic' ? `QUIC on UDP ${status.port}` : `portable (HTTP/2 over TLS) on TCP ${status.portable_port ?? '?'}`,
  )
  const why = status.quic_missing === null ? '' : ` (no QUIC: ${status.quic_missing})`
  return `${names.join(', ')}${why}`
}

/** Whole percent done; a game of no bytes is all there. */
function shareOf(done: number, total: number): number {
  return total === 0 ? 100 : Math.floor((done / total) * 100)
}
