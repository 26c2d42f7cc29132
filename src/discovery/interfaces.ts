// Which interfaces mDNS runs on (`--interface NAME|ADDRESS`, repeatable): by default every
// non-internal IPv4 interface. multicast-dns sends through one interface, so each gets its own;
// the IPv6 addresses of the same interface go along, for its AAAA records.
import os from 'node:os'
import {LanspreadError} from '../errors.js'

export interface MdnsInterface {
  name: string
  address: string
  /** IPv6 addresses of the same interface (link-local included), advertised as AAAA there only. */
  addresses6?: string[]
}

export type NetworkInterfaces = ReturnType<typeof os.networkInterfaces>

export function chooseInterfaces(wanted: readonly string[], networks: NetworkInterfaces = os.networkInterfaces()): MdnsInterface[] {
  const all: (MdnsInterface & {internal: boolean})[] = []
  for (const [name, entries] of Object.entries(networks)) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4') all.push({name, address: entry.address, internal: entry.internal})
  }
  if (wanted.length === 0) return all.filter((entry) => !entry.internal).map(({name, address}) => withIpv6({name, address}, networks))
  const chosen = new Map<string, MdnsInterface>()
  for (const want of wanted) {
    const matches = all.filter((entry) => entry.name === want || entry.address === want)
    if (matches.length === 0) {
      const known = all.map((entry) => `${entry.name} (${entry.address})`).join(', ') || 'none'
      throw new LanspreadError('usage', `--interface ${want} is not an IPv4 interface of this machine`, {
        hint: `give an interface name or IPv4 address; this machine has: ${known}`,
      })
    }
    for (const {name, address} of matches) chosen.set(address, withIpv6({name, address}, networks))
  }
  return [...chosen.values()]
}

function withIpv6(iface: MdnsInterface, networks: NetworkInterfaces): MdnsInterface {
  const addresses6 = (networks[iface.name] ?? []).filter((entry) => entry.family === 'IPv6' && !entry.internal).map((entry) => entry.address)
  return addresses6.length > 0 ? {...iface, addresses6} : iface
}

/** A link-local IPv6 address means nothing without its link: scope it to the interface it came on. */
export function scopedAddress(address: string, ifaceName: string): string {
  return /^fe[89ab]/i.test(address) && !address.includes('%') ? `${address}%${ifaceName}` : address
}
