// Starting the bulk TLS data plane of a serve on its fixed port, and the error that names the
// flag which chose a port another program holds (docs/decisions/0013-bulk-port.md).
import {LanspreadError, errnoCode} from '../errors.js'
import type {GameServer} from '../serving/game-server.js'
import {BulkTlsServer} from '../transport/bulk-tls-server.js'
import type {Certificate} from '../transport/transport-settings.js'
import type {PeerTable} from './peer-table.js'
import type {LogLevel} from './runtime-view.js'

/** Where the bulk plane listens; `flag` is the one that chose the port, named when it is taken. */
export interface BulkListen {
  host: string
  port: number
  flag: '--port' | '--bulk-port'
}

export async function startBulk(
  listen: BulkListen,
  certificate: Certificate,
  table: PeerTable,
  games: GameServer,
  log: (level: LogLevel, message: string) => void,
): Promise<{server: BulkTlsServer; port: number}> {
  const server = new BulkTlsServer(
    {certificate, identify: (fingerprint) => table.records().find((record) => record.cert_fingerprint === fingerprint)?.peer_id, handler: games.handle},
    {log: (level, message) => log(level === 'error' ? 'warn' : level, message)},
  )
  try {
    const {port} = await server.start({host: listen.host, port: listen.port})
    return {server, port}
  } catch (error) {
    throw bulkPortError(listen, error)
  }
}

/** A bulk port another program holds is named with the flag that sets it (docs/decisions/0013-bulk-port.md). */
function bulkPortError(listen: BulkListen, error: unknown): unknown {
  if (!(error instanceof LanspreadError) || errnoCode(error.cause) !== 'EADDRINUSE') return error
  const why = listen.flag === '--port' ? `, the bulk TLS port (by default the QUIC --port number, over TCP),` : ` (--bulk-port)`
  return new LanspreadError('address_unavailable', `TCP port ${listen.port}${why} is in use by another program on ${listen.host}`, {
    hint: `choose another with --bulk-port N (and open it in the firewall), stop the program that uses it, or serve chunks over QUIC only with --no-bulk`,
    cause: error,
  })
}
