// Human output: a plain aligned table and readable sizes. JSON output needs no help here:
// a command's run() returns the document and oclif prints it.
import {repairAdvice} from '../api/library-warnings.js'
import type {NetworkGame} from '../sync/network-library.js'
import type {PeerInfo} from '../peer/peer-table.js'
import type {GameSummary} from '../library/summary.js'

/**
 * Columns padded to their widest cell, two spaces apart, no trailing blanks. Loops rather
 * than spreads and per-row arrays: `scan` prints a row for each of thousands of games.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header) => header.length)
  for (const row of rows) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (row[i] ?? '').length)
  }
  const line = (cells: readonly string[]): string => {
    let text = ''
    for (let i = 0; i < cells.length; i++) text += i === cells.length - 1 ? cells[i]! : `${cells[i]!.padEnd(widths[i]!)}  `
    return text.trimEnd()
  }
  const lines = [line(headers)]
  for (const row of rows) lines.push(line(row))
  return lines.join('\n')
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

export function gamesTable(games: readonly GameSummary[]): string {
  if (games.length === 0) return 'No games.'
  return table(
    ['ID', 'NAME', 'VERSION', 'SIZE', 'DOWNLOADED', 'INSTALLED', 'AVAILABILITY'],
    games.map((game) => [
      game.id,
      game.name,
      game.eti_version ?? '-',
      formatBytes(game.size),
      game.downloaded ? 'yes' : 'no',
      game.installed ? 'yes' : 'no',
      game.needs_recovery ? `${game.availability}, needs recovery` : game.availability,
    ]),
  )
}

export function gameDetails(game: GameSummary): string {
  return table(
    ['FIELD', 'VALUE'],
    [
      ['id', game.id],
      ['name', game.name],
      ['version', game.eti_version ?? '-'],
      ['size', `${formatBytes(game.size)} (${game.size} bytes)`],
      ['downloaded', game.downloaded ? 'yes' : 'no'],
      ['installed', game.installed ? 'yes' : 'no'],
      ['availability', game.availability],
      ['needs recovery', game.needs_recovery ? `yes: ${repairAdvice(game)}` : 'no'],
      ['manifest hash', game.manifest_hash],
    ],
  )
}

/** `library --peers`: every game on the network, who has it and at which versions. */
export function networkGamesTable(games: readonly NetworkGame[]): string {
  if (games.length === 0) return 'No games on this peer or any peer it knows.'
  return table(
    ['ID', 'NAME', 'PEERS', 'VERSIONS', 'DOWNLOADING', 'HERE'],
    games.map((game) => [
      game.id,
      game.name,
      String(game.peers.length),
      Object.entries(game.versions)
        .map(([version, peers]) => `${version} (${peers.length})`)
        .join(', ') || '-',
      String(game.downloading.length),
      game.local ? game.local.availability : '-',
    ]),
  )
}

/** `peers`: the peers serve knows; LAST SEEN relative ("3 s ago"), the ISO time stays in JSON. */
export function peersTable(peers: readonly PeerInfo[], now = Date.now()): string {
  if (peers.length === 0) return 'No peers.'
  return table(
    ['PEER', 'HOSTNAME', 'ADDRESSES', 'GAMES', 'REV', 'LAST SEEN'],
    peers.map((peer) => [
      peer.peer_id,
      peer.hostname ?? '-',
      peer.addresses.join(' '),
      String(peer.game_count),
      peer.library_rev === null ? '-' : String(peer.library_rev),
      ago(peer.last_seen, now),
    ]),
  )
}

/** "3 s ago", "5 min ago", "2 h ago"; the ISO text itself when it is not a time. */
export function ago(iso: string, now = Date.now()): string {
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  return `${formatDuration(Math.max(0, now - then))} ago`
}

/** A duration in its largest fitting unit: "3 s", "5 min", "2 h 10 min", "3 d 4 h". */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const min = Math.floor(s / 60)
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 24) return `${h} h${min % 60 === 0 ? '' : ` ${min % 60} min`}`
  const d = Math.floor(h / 24)
  return `${d} d${h % 24 === 0 ? '' : ` ${h % 24} h`}`
}
