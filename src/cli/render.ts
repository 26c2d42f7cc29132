// Human output: a plain aligned table and readable sizes. JSON output needs no help here:
// a command's run() returns the document and oclif prints it.
import type {SkippedGame} from '../library/scanner.js'
import type {NetworkGame} from '../peer/network-library.js'
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

/** stderr lines for games a scan skipped and games left mid-operation. */
export function libraryWarnings(games: readonly GameSummary[], skipped: readonly SkippedGame[] = []): string[] {
  return [
    ...skipped.map((game) => `skipped game folder ${game.id}: ${game.reason}`),
    ...games.filter((game) => game.needs_recovery).map((game) => `game ${game.id} holds an interrupted operation: run \`lanspread recover ${game.id}\``),
  ]
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
      ['needs recovery', game.needs_recovery ? `yes: run \`lanspread recover ${game.id}\`` : 'no'],
      ['manifest hash', game.manifest_hash],
    ],
  )
}

/** `library --peers`: every game on the network, who has it and at which versions. */
export function networkGamesTable(games: readonly NetworkGame[]): string {
  if (games.length === 0) return 'No games on this peer or any peer it knows.'
  return table(
    ['ID', 'NAME', 'PEERS', 'VERSIONS', 'HERE'],
    games.map((game) => [
      game.id,
      game.name,
      String(game.peers.length),
      Object.entries(game.versions)
        .map(([version, peers]) => `${version} (${peers.length})`)
        .join(', ') || '-',
      game.local ? game.local.availability : '-',
    ]),
  )
}

/** `peers`: the peers serve knows. */
export function peersTable(peers: readonly PeerInfo[]): string {
  if (peers.length === 0) return 'No peers.'
  return table(
    ['PEER', 'HOSTNAME', 'ADDRESSES', 'GAMES', 'REV', 'LAST SEEN'],
    peers.map((peer) => [peer.peer_id, peer.hostname ?? '-', peer.addresses.join(' '), String(peer.game_count), peer.library_rev === null ? '-' : String(peer.library_rev), peer.last_seen]),
  )
}
