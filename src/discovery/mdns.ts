// Discovery over mDNS / DNS-SD (SPEC §4.1) as the runtime sees it: one DiscoverySource that
// shares one socket per interface (mdns-link.ts) between the browser (mdns-browser.ts) and,
// when this peer advertises itself, the responder (mdns-responder.ts).
import type {AdvertisedLibrary, DiscoverySource, FoundPeer, LocalPeer} from './discovery.js'
import type {MdnsInterface} from './interfaces.js'
import {MdnsBrowser, type SeenPeer} from './mdns-browser.js'
import {MdnsLink, type MdnsLinkComponents} from './mdns-link.js'
import {MdnsResponder} from './mdns-responder.js'
import {DEFAULT_MDNS_TIMINGS, type MdnsTimings} from './mdns-timings.js'

export type {SeenPeer} from './mdns-browser.js'

export interface MdnsComponents extends MdnsLinkComponents {
  now?: () => number
  random?: () => number
}

export class MdnsDiscovery implements DiscoverySource {
  readonly name = 'mdns'
  private readonly timings: MdnsTimings
  private readonly link: MdnsLink
  private readonly browser: MdnsBrowser
  private responder: MdnsResponder | undefined
  private readonly now: () => number
  private readonly random: () => number

  constructor(interfaces: readonly MdnsInterface[], components: MdnsComponents, timings: Partial<MdnsTimings> = {}) {
    this.timings = {...DEFAULT_MDNS_TIMINGS, ...timings}
    this.now = components.now ?? Date.now
    this.random = components.random ?? Math.random
    this.link = new MdnsLink(interfaces, components)
    this.browser = new MdnsBrowser(this.link, this.timings, {now: this.now})
  }

  /** Browses; with `self`, advertises this peer too (`lanspread peers` without serve only browses). */
  async start(found: FoundPeer, self?: LocalPeer): Promise<void> {
    const responder = self ? new MdnsResponder(this.link, self, this.timings, {now: this.now, random: this.random}) : undefined
    this.responder = responder
    this.link.open({
      query: (binding, packet, rinfo) => responder?.onQuery(binding, packet, rinfo),
      response: (binding, packet, rinfo) => this.browser.onResponse(binding, packet, rinfo),
    })
    this.browser.start(found, self?.peer_id)
    responder?.start()
  }

  /** Our library moved: announce the new TXT (the runtime calls this on each local revision). */
  announce(library: AdvertisedLibrary): void {
    this.responder?.announce(library)
  }

  /** The runtime lost this peer: stop claiming to know it and ask the LAN again soon. */
  forget(peerId: string): void {
    this.browser.forget(peerId)
  }

  /** Every peer resolved so far (and not gone), newest record each. */
  seenPeers(): SeenPeer[] {
    return this.browser.seenPeers()
  }

  async stop(): Promise<void> {
    if (this.link.stopped) return
    this.link.halt()
    this.browser.stop()
    await this.responder?.goodbye()
    await this.link.close()
  }
}
