// Avahi (Debian's DNS-SD stack) inside one namespace of a test LAN, as an independent client
// of our records: a private D-Bus system bus (a socket in a temp folder, never the host's),
// and avahi-daemon on that namespace's eth0 only, IPv4, publishing nothing of its own.
import {execa} from 'execa'
import fs from 'node:fs/promises'
import path from 'node:path'
import type {Lan, LanNode} from './lan.js'

export async function avahiUnavailable(): Promise<string | undefined> {
  for (const tool of ['avahi-daemon', 'avahi-browse', 'dbus-daemon']) {
    const found = await execa('sh', ['-c', `command -v ${tool}`], {reject: false})
    if (found.exitCode !== 0) return `${tool} is not installed (apt-get install avahi-daemon avahi-utils)`
  }
  return undefined
}

/** Starts dbus-daemon and avahi-daemon in `node`'s namespace; both die with the namespace. Returns the bus address. */
export async function startAvahi(lan: Lan, node: LanNode): Promise<string> {
  const dir = await lan.tempDir('lanspread-avahi-')
  const socket = path.join(dir, 'bus.sock')
  await fs.writeFile(
    path.join(dir, 'bus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>
`,
  )
  await fs.writeFile(
    path.join(dir, 'avahi.conf'),
    '[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\nenable-dbus=yes\n[publish]\ndisable-publishing=yes\n',
  )
  const address = `unix:path=${socket}`
  lan.spawn(node, 'dbus-daemon', ['--config-file', path.join(dir, 'bus.conf'), '--nofork'])
  await waitForFile(socket, 10_000)
  // `ip netns exec` gives the command its own mount namespace: a tmpfs there holds avahi's pid
  // file and socket, so nothing lands in (or collides with) the host's /run/avahi-daemon.
  const daemon = `mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f '${path.join(dir, 'avahi.conf')}'`
  lan.spawn(node, 'sh', ['-c', daemon], {DBUS_SYSTEM_BUS_ADDRESS: address})
  return address
}

/** `avahi-browse -rpt _lanspread._udp` in the namespace: the resolved lines (`=;…`), retried until `enough` holds or the time is up. */
export async function avahiBrowse(lan: Lan, node: LanNode, busAddress: string, enough: (lines: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  let lines: string[] = []
  while (Date.now() < deadline) {
    const result = await lan.exec(node, 'avahi-browse', ['-rpt', '_lanspread._udp'], {timeout: 10_000, env: {DBUS_SYSTEM_BUS_ADDRESS: busAddress}})
    lines = String(result.stdout)
      .split('\n')
      .filter((line) => line.startsWith('='))
    if (enough(lines)) return lines
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return lines
}

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (
      await fs.stat(file).then(
        () => true,
        () => false,
      )
    )
      return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${file} did not appear within ${timeoutMs} ms`)
}
