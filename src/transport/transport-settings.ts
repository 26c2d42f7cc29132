// What both peer transports (QUIC and portable) share of their configuration: the default
// timings, the check of settings a caller gives, this peer's certificate, and the fallback log.
import {LanspreadError} from '../errors.js'
import type {TransportLog, TransportSettings} from './endpoint.js'

export const DEFAULT_TRANSPORT_SETTINGS: TransportSettings = {
  // Twice the runtime's 30 s quiet-period ping: a live peer is pinged well before, a dead one
  // is noticed within a minute, before the 90 s stale timeout removes it from the table.
  maxIdleTimeoutMs: 60_000,
  keepAliveIntervalMs: 20_000,
  dialTimeoutMs: 10_000,
  udpPayloadBytes: 1472,
  udpBufferBytes: 4 * 1024 * 1024,
  stopTimeoutMs: 2_000,
}

/** Settings @matrixai/quic would reject later (or silently never time out with), refused up front. */
export function checkTransportSettings(settings: TransportSettings): TransportSettings {
  const {maxIdleTimeoutMs, keepAliveIntervalMs, udpPayloadBytes} = settings
  const problem = !(maxIdleTimeoutMs > 0)
    ? 'the idle timeout must be above 0 (0 would keep dead peers forever)'
    : !(keepAliveIntervalMs > 0 && keepAliveIntervalMs < maxIdleTimeoutMs)
      ? 'the keep-alive interval must be above 0 and below the idle timeout'
      : !(udpPayloadBytes >= 1200 && udpPayloadBytes <= 65527)
        ? 'the UDP payload must be 1200 to 65527 bytes'
        : undefined
  if (problem) {
    throw new LanspreadError('invalid_input', `invalid transport settings: ${problem} (got ${JSON.stringify(settings)})`)
  }
  return settings
}

export interface Certificate {
  certPem: string
  keyPem: string
}

export function defaultTransportLog(): TransportLog {
  return (level, message) => process.stderr.write(`lanspread ${level}: ${message}\n`)
}
