// Whether mDNS runs: its flag (`--no-mdns` turns it off) and LANSPREAD_MDNS=0, which test
// suites set so that no serve they start can send multicast on the machine's interfaces.
export function mdnsAllowed(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag && env.LANSPREAD_MDNS !== '0'
}
