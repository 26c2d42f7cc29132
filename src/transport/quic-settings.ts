// What every QUIC connection of lanspread is configured with (SPEC §4.5.1): ALPN, idle timeout,
// 1472-byte payloads both ways, mutual certificates accepted by a callback, a WARN-level logger.
import {X509Certificate, createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
import Logger, {Handler, LogLevel, formatting} from '@matrixai/logger'
import type {QUICConfig, QUICServerCrypto, QUICClientCrypto, TLSVerifyCallback} from '@matrixai/quic'
import type {TransportLog, TransportSettings} from './endpoint.js'
import type {Certificate} from './transport-settings.js'

export const ALPN = 'lanspread/1'

/** TLS alert "bad_certificate" offset into QUIC's crypto error range (CryptoError.BadCertificate). */
const BAD_CERTIFICATE = 298

/** Accepts any well-formed certificate: identity is decided later, by pinning its fingerprint to a peer_id. */
export const acceptAnyCertificate: TLSVerifyCallback = async (certs) => {
  const leaf = certs[0]
  if (!leaf) return BAD_CERTIFICATE
  try {
    new X509Certificate(leaf)
    return undefined
  } catch {
    return BAD_CERTIFICATE
  }
}

export function quicConfig(settings: TransportSettings, certificate: Certificate): Partial<QUICConfig> & {key: string; cert: string} {
  return {
    key: certificate.keyPem,
    cert: certificate.certPem,
    verifyPeer: true,
    verifyCallback: acceptAnyCertificate,
    applicationProtos: [ALPN],
    maxIdleTimeout: settings.maxIdleTimeoutMs,
    keepAliveIntervalTime: settings.keepAliveIntervalMs,
    maxRecvUdpPayloadSize: settings.udpPayloadBytes,
    maxSendUdpPayloadSize: settings.udpPayloadBytes,
  }
}

/** The server signs its retry tokens with a key that lives as long as the process. */
export function serverCrypto(): QUICServerCrypto {
  const key = randomBytes(32)
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength),
    ops: {
      async sign(k, data) {
        const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest()
        return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength)
      },
      async verify(k, data, sig) {
        const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest()
        const given = Buffer.from(sig)
        return given.length === mac.length && timingSafeEqual(given, mac)
      },
    },
  }
}

export function clientCrypto(): QUICClientCrypto {
  return {
    ops: {
      async randomBytes(data) {
        randomBytes(data.byteLength).copy(Buffer.from(data))
      },
    },
  }
}

/** QUIC logs INFO lines to stderr unless given a logger: this one passes WARN and up to `log`. */
export function quicLogger(log: TransportLog): Logger {
  return new Logger('quic', LogLevel.WARN, [new ForwardingHandler(log)])
}

class ForwardingHandler extends Handler {
  constructor(private readonly log: TransportLog) {
    super(formatting.format`${formatting.keys}: ${formatting.msg}`)
  }

  override handle(record: Parameters<Handler['handle']>[0], format?: Parameters<Handler['handle']>[1]): void {
    const text = format ? format(record) : this.format(record)
    this.log(record.level >= LogLevel.ERROR ? 'error' : 'warn', text)
  }

  emit(): void {
    // handle() forwards with the level; nothing is written here.
  }
}
