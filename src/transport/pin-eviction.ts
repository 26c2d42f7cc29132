// Which pin goes when the pins are full: never a connected peer's; first one never confirmed
// (a peer_id seen once, as a flood's are), then the one seen longest ago.

export interface PinUse {
  /** Milliseconds since the epoch when the peer last showed its pinned certificate. */
  lastSeen: number
  /** The peer came back with the same certificate at least once. */
  confirmed: boolean
}

/** The peer_id whose pin to evict, or undefined when every pinned peer is connected. */
export function pinToEvict(uses: ReadonlyMap<string, PinUse>, connected: (peerId: string) => boolean): string | undefined {
  let victim: {peerId: string; use: PinUse} | undefined
  for (const [peerId, use] of uses) {
    if (connected(peerId)) continue
    if (victim === undefined || lessUseful(use, victim.use)) victim = {peerId, use}
  }
  return victim?.peerId
}

function lessUseful(a: PinUse, b: PinUse): boolean {
  if (a.confirmed !== b.confirmed) return !a.confirmed
  return a.lastSeen < b.lastSeen
}
