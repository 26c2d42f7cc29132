// The peer runtime's timing knobs (SPEC §4.4, §6), with the defaults a LAN party needs and a
// way to shorten them for tests: flags of `serve`, or LANSPREAD_* environment variables.
import {z} from 'zod'
import {LanspreadError} from '../errors.js'

export const RuntimeSettingsSchema = z.object({
  /** A connection quiet this long gets a Ping. */
  pingAfterMs: z.number().int().positive(),
  /** A peer silent this long is removed. */
  staleAfterMs: z.number().int().positive(),
  /** Bound of every request to a peer. */
  requestTimeoutMs: z.number().int().positive(),
  /** Backoff of re-dialling a static peer that is down: first and longest wait. */
  redialMinMs: z.number().int().positive(),
  redialMaxMs: z.number().int().positive(),
  /** The fallback full scan. */
  rescanIntervalMs: z.number().int().positive(),
  /** How often liveness is checked. */
  livenessTickMs: z.number().int().positive(),
  /** A peer's bulk TLS port that does not connect (TCP and TLS) within this is used over QUIC instead (SPEC §4.5). */
  bulkConnectTimeoutMs: z.number().int().positive(),
  /** Nor when a new bulk connection sends no reply byte within this (longer than a busy server waits for a slot). */
  bulkReplyTimeoutMs: z.number().int().positive(),
})
export type RuntimeSettings = z.infer<typeof RuntimeSettingsSchema>

export const DEFAULT_RUNTIME_SETTINGS: RuntimeSettings = {
  pingAfterMs: 30_000,
  staleAfterMs: 90_000,
  requestTimeoutMs: 10_000,
  redialMinMs: 1_000,
  redialMaxMs: 30_000,
  rescanIntervalMs: 300_000,
  livenessTickMs: 1_000,
  bulkConnectTimeoutMs: 10_000,
  bulkReplyTimeoutMs: 15_000,
}

/** Environment overrides, in milliseconds (tests and unusual networks). */
const ENV_NAMES: Record<keyof RuntimeSettings, string> = {
  pingAfterMs: 'LANSPREAD_PING_AFTER_MS',
  staleAfterMs: 'LANSPREAD_STALE_AFTER_MS',
  requestTimeoutMs: 'LANSPREAD_REQUEST_TIMEOUT_MS',
  redialMinMs: 'LANSPREAD_REDIAL_MIN_MS',
  redialMaxMs: 'LANSPREAD_REDIAL_MAX_MS',
  rescanIntervalMs: 'LANSPREAD_RESCAN_INTERVAL_MS',
  livenessTickMs: 'LANSPREAD_LIVENESS_TICK_MS',
  bulkConnectTimeoutMs: 'LANSPREAD_BULK_CONNECT_TIMEOUT_MS',
  bulkReplyTimeoutMs: 'LANSPREAD_BULK_REPLY_TIMEOUT_MS',
}

export function runtimeSettings(overrides: Partial<RuntimeSettings> = {}, env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const fromEnv: Partial<Record<keyof RuntimeSettings, number>> = {}
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof RuntimeSettings, string][]) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = Number(raw)
    if (!Number.isInteger(value) || value <= 0)
      throw new LanspreadError('usage', `${name}=${raw} is not a positive whole number of milliseconds`, {
        hint: `unset ${name} or give it a value such as 5000`,
      })
    fromEnv[key] = value
  }
  const settings = {...DEFAULT_RUNTIME_SETTINGS, ...fromEnv, ...overrides}
  if (settings.staleAfterMs <= settings.pingAfterMs) {
    throw new LanspreadError('usage', `the stale timeout (${settings.staleAfterMs} ms) must be longer than the ping interval (${settings.pingAfterMs} ms)`, {
      hint: 'a peer must get a Ping before it is declared gone',
    })
  }
  return settings
}
