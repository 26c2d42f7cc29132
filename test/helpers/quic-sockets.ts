// Two raw @matrixai/quic sockets on loopback, with lanspread's QUIC settings and a fresh
// certificate: for what looks below QuicEndpoint (the patches' canary, bench:quic).
import path from 'node:path'
import {QUICClient} from '@matrixai/quic'
import {loadOrCreateCertificate} from '../../src/transport/certs.js'
import {TunedQuicSocket} from '../../src/transport/quic-patches.js'
import {clientCrypto, quicConfig, quicLogger} from '../../src/transport/quic-settings.js'
import {DEFAULT_TRANSPORT_SETTINGS} from '../../src/transport/transport-settings.js'
import {makeTempDir} from './temp-library.js'

export interface QuicSocketPair {
  config: ReturnType<typeof quicConfig>
  logger: ReturnType<typeof quicLogger>
  /** Where the test's QUICServer listens. */
  listening: TunedQuicSocket
  /** Where dialPair's client dials from. */
  dialling: TunedQuicSocket
  /** Stops both sockets (after the server and client on them). */
  stop(): Promise<void>
}

export async function quicSocketPair(): Promise<QuicSocketPair> {
  const certificate = await loadOrCreateCertificate(path.join(await makeTempDir(), 'tls'))
  const logger = quicLogger(() => {})
  const listening = new TunedQuicSocket({logger})
  const dialling = new TunedQuicSocket({logger})
  await listening.start({host: '127.0.0.1', port: 0})
  await dialling.start({host: '127.0.0.1', port: 0})
  return {
    config: quicConfig(DEFAULT_TRANSPORT_SETTINGS, certificate),
    logger,
    listening,
    dialling,
    stop: async () => {
      await Promise.all([listening.stop({force: true}), dialling.stop({force: true})]).catch(() => undefined)
    },
  }
}

/** A client on `dialling`, connected to the server on `listening`; the caller destroys it. */
export async function dialPair({config, logger, listening, dialling}: QuicSocketPair): Promise<QUICClient> {
  return QUICClient.createQUICClient({host: '127.0.0.1', port: listening.port, socket: dialling, crypto: clientCrypto(), config, logger}, {timer: 5_000})
}
