// How many chunk requests each source of a swarm download may have in flight: a share of one
// total by measured rate, within bounds, so a fast source is kept busy and a slow one holds few.
import {LanspreadError} from '../errors.js'

export interface PickerLimits {
  /** Requests in flight on any source, however slow (a source with none would never be measured). */
  minInFlight: number
  /** Requests in flight on one source, however fast. */
  maxInFlight: number
  /**
   * Requests in flight over all sources together, shared by rate. Kept low: a request queued at
   * a seed that several fetchers share hides its chunk from the others until it lands, so they
   * may ask the seed for it too (docs/decisions/0030-swarm-chunk-picker.md measures it).
   */
  totalInFlight: number
  /** Requests in flight on a seed while no other downloader of the game is known: two keep a lone fetch's link busy. */
  seedInFlight: number
  /** Requests in flight on a seed once partial peers are sources: one, so the seed sends each chunk about once. */
  seedInFlightInSwarm: number
}

export const DEFAULT_PICKER_LIMITS: PickerLimits = {minInFlight: 1, maxInFlight: 8, totalInFlight: 8, seedInFlight: 2, seedInFlightInSwarm: 1}

/** Most sources one chunk is asked of at once: the endgame asks a second, never a third. */
export const ENDGAME_COPIES = 2

/** The rates a download measured: their sum over the sources measured, and how many sources there are. */
export interface SwarmRates {
  rateSum: number
  rated: number
  sources: number
}

/**
 * A source's allowance: totalInFlight × its share of the summed rate, rounded, clamped to
 * [minInFlight, maxInFlight]. A source not measured yet counts at the mean measured rate; with
 * nothing measured every source gets an equal share.
 */
export function inFlightAllowance(rate: number | undefined, swarm: SwarmRates, limits: PickerLimits): number {
  const mean = swarm.rated > 0 ? swarm.rateSum / swarm.rated : 0
  const share = mean > 0 ? (rate ?? mean) / (swarm.rateSum + (swarm.sources - swarm.rated) * mean) : 1 / Math.max(1, swarm.sources)
  return Math.min(limits.maxInFlight, Math.max(limits.minInFlight, Math.round(limits.totalInFlight * share)))
}

export function checkPickerLimits(limits: PickerLimits): void {
  const {minInFlight, maxInFlight, totalInFlight, seedInFlight, seedInFlightInSwarm} = limits
  const sane =
    [minInFlight, maxInFlight, totalInFlight, seedInFlight, seedInFlightInSwarm].every((value) => Number.isInteger(value) && value >= 1) &&
    minInFlight <= maxInFlight
  if (!sane) throw new LanspreadError('internal', `picker limits must be positive integers with min ≤ max, got ${JSON.stringify(limits)}`)
}
