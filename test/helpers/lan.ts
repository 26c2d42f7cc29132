// A LAN of real peers in network namespaces (SPEC §8 recipe), for test:lan and bench:lan: a
// bridge in its own namespace (mcast_snooping 0), one namespace per node joined to it by a
// veth pair made inside the namespaces (the host never sees either end), addresses in
// 10.231.0.0/24. Nothing here touches the root namespace's interfaces; destroy() kills every
// process of every namespace and deletes them, and a later run sweeps what a crashed one left.
import {type ResultPromise, execa} from 'execa'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {CLI, REPO_ROOT} from './cli.js'
import {type ServeEvent, followServe} from '../../scripts/serve-events.js'

const PREFIX = 'lspr'
const SUBNET = '10.231.0'

/** Short timings, so liveness shows in seconds; mDNS on (the unit suite sets LANSPREAD_MDNS=0). */
export const LAN_ENV: Record<string, string> = {
  LANSPREAD_MDNS: '1',
  LANSPREAD_GAMES: '',
  LANSPREAD_PING_AFTER_MS: '1000',
  LANSPREAD_STALE_AFTER_MS: '4000',
  LANSPREAD_REQUEST_TIMEOUT_MS: '3000',
  LANSPREAD_REDIAL_MIN_MS: '200',
  LANSPREAD_REDIAL_MAX_MS: '1000',
  LANSPREAD_LIVENESS_TICK_MS: '200',
}

/** Why LAN tests cannot run here, or undefined when they can. */
export async function lanUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, as CI does)'
  const ip = await execa('ip', ['-V'], {reject: false})
  if (ip.exitCode !== 0) return 'the `ip` command (iproute2) is missing'
  return undefined
}

export async function ip(args: string[]): Promise<void> {
  const result = await execa('ip', args, {reject: false, timeout: 10_000})
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`)
}

async function tc(args: string[]): Promise<void> {
  const result = await execa('tc', args, {reject: false, timeout: 10_000})
  if (result.exitCode !== 0) throw new Error(`tc ${args.join(' ')} failed: ${result.stderr}`)
}

/** The end of a node's veth pair that sits in the bridge's namespace. */
function outerEnd(node: LanNode): string {
  return `v${node.index}`
}

/** `ip -n NS -batch -`: several commands in one namespace for one process start. */
async function ipBatch(ns: string, commands: string[]): Promise<void> {
  const result = await execa('ip', ['-n', ns, '-batch', '-'], {input: `${commands.join('\n')}\n`, reject: false, timeout: 10_000})
  if (result.exitCode !== 0) throw new Error(`ip -n ${ns} -batch failed: ${result.stderr}`)
}

/** A locally administered MAC fixed by the node's index, so neighbours can be pinned before asking. */
function macOf(node: LanNode): string {
  return `02:4c:53:00:${(node.index >> 8).toString(16).padStart(2, '0')}:${(node.index & 0xff).toString(16).padStart(2, '0')}`
}

export interface LanNode {
  ns: string
  address: string
  index: number
}

export interface LanPeer {
  node: LanNode
  gamesDir: string
  child: ResultPromise
  peerId: string
  events: ServeEvent[]
  stderr(): string
  /** The peers it currently knows, by peer_id → game count (null until their library arrived). */
  known(): Map<string, number | null>
  waitFor(what: string, check: (event: ServeEvent) => boolean, timeoutMs?: number): Promise<ServeEvent>
}

export class Lan {
  readonly bridgeNs: string
  private readonly nodes: LanNode[] = []
  private readonly children = new Set<ResultPromise>()
  private readonly dirs: string[] = []
  private nextIndex = 1
  private readonly pinned = new Set<LanNode>()
  private pinning: Promise<void> = Promise.resolve()

  private constructor(readonly id: string) {
    this.bridgeNs = `${id}-br`
  }

  static async create(): Promise<Lan> {
    await sweepLeftovers()
    const lan = new Lan(`${PREFIX}${process.pid}`)
    try {
      await ip(['netns', 'add', lan.bridgeNs])
      await ip(['-n', lan.bridgeNs, 'link', 'set', 'lo', 'up'])
      // Without snooping off, the bridge forwards multicast only to ports that sent IGMP joins.
      await ip(['-n', lan.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0'])
      await ip(['-n', lan.bridgeNs, 'link', 'set', 'br0', 'up'])
    } catch (error) {
      await lan.destroy()
      throw error
    }
    return lan
  }

  /** A new namespace on the bridge with the next free address, its neighbours pinned both ways. */
  async addNode(): Promise<LanNode> {
    const index = this.nextIndex++
    if (index > 200) throw new Error('the LAN has no free address left')
    const node = {ns: `${this.id}-n${index}`, address: `${SUBNET}.${10 + index}`, index}
    this.nodes.push(node)
    await ip(['netns', 'add', node.ns])
    const outer = outerEnd(node)
    // Made inside the bridge namespace with its peer end born in the node's namespace.
    await ip(['-n', this.bridgeNs, 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns, 'address', macOf(node)])
    await ip(['-n', this.bridgeNs, 'link', 'set', outer, 'master', 'br0', 'up'])
    await ip(['-n', node.ns, 'link', 'set', 'lo', 'up'])
    await ip(['-n', node.ns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0'])
    await ip(['-n', node.ns, 'link', 'set', 'eth0', 'up'])
    const pinned = this.pinning.then(() => this.pinNeighbours(node))
    this.pinning = pinned.catch(() => undefined)
    await pinned
    return node
  }

  /**
   * Permanent ARP entries between `node` and every node made before it. All namespaces share
   * the kernel's one ARP table (gc_thresh3: 1,024 entries by default): 40 nodes need 1,560,
   * and past the limit the kernel drops entries and refuses new ones ("neighbor table
   * overflow"), so pairs of peers silently stop reaching each other — a limit of simulating a
   * LAN on one kernel that real machines, each with its own table, never meet. Permanent
   * entries are not counted against it. Serialised, so nodes added at once all see each other.
   */
  private async pinNeighbours(node: LanNode): Promise<void> {
    const others = this.nodes.filter((other) => other !== node && this.pinned.has(other))
    const entry = (other: LanNode) => `neigh replace ${other.address} lladdr ${macOf(other)} dev eth0 nud permanent`
    if (others.length > 0) await ipBatch(node.ns, others.map(entry))
    await Promise.all(others.map((other) => ipBatch(other.ns, [entry(node)])))
    this.pinned.add(node)
  }

  /**
   * Shapes a node's link both ways with tbf (bench:swarm): its upload on its own end, its
   * download on the bridge's end. The burst (256 KiB) holds four of the largest packets GSO
   * makes (64 KiB), which tbf charges at their full length, so offloads stay on; `gso: false`
   * turns GSO off on both ends (ethtool may be missing: `ip link` sets gso_max_segs 1).
   */
  async shape(node: LanNode, rate: {upMbit: number; downMbit: number; gso?: boolean}): Promise<void> {
    const tbf = (mbit: number) => ['root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '256kb', 'latency', '100ms']
    await tc(['-n', node.ns, 'qdisc', 'replace', 'dev', 'eth0', ...tbf(rate.upMbit)])
    await tc(['-n', this.bridgeNs, 'qdisc', 'replace', 'dev', outerEnd(node), ...tbf(rate.downMbit)])
    if (rate.gso !== false) return
    await ip(['-n', node.ns, 'link', 'set', 'dev', 'eth0', 'gso_max_segs', '1'])
    await ip(['-n', this.bridgeNs, 'link', 'set', 'dev', outerEnd(node), 'gso_max_segs', '1'])
  }

  /** The bytes a node has sent and received on its link so far (its end's counters). */
  async counters(node: LanNode): Promise<{tx: number; rx: number}> {
    const result = await execa('ip', ['-n', node.ns, '-j', '-s', 'link', 'show', 'dev', 'eth0'], {reject: false, timeout: 10_000})
    if (result.exitCode !== 0) throw new Error(`ip -n ${node.ns} -s link show failed: ${result.stderr}`)
    const [link] = JSON.parse(String(result.stdout)) as {stats64: {tx: {bytes: number}; rx: {bytes: number}}}[]
    if (!link) throw new Error(`no eth0 in ${node.ns}`)
    return {tx: link.stats64.tx.bytes, rx: link.stats64.rx.bytes}
  }

  /** Runs a command inside a node's namespace (bounded). */
  async exec(node: LanNode, command: string, args: string[], options: {timeout?: number; env?: Record<string, string>} = {}) {
    return execa('ip', ['netns', 'exec', node.ns, command, ...args], {
      reject: false,
      timeout: options.timeout ?? 30_000,
      env: {...LAN_ENV, ...options.env},
      cwd: REPO_ROOT,
      stdin: 'ignore',
    })
  }

  /** `lanspread ARGS` inside a node's namespace. */
  cli(node: LanNode, args: string[], timeout = 30_000) {
    return this.exec(node, 'node', [CLI, ...args], {timeout})
  }

  /** Starts a child inside a namespace; it is killed by destroy(). */
  spawn(node: LanNode, command: string, args: string[], env: Record<string, string> = {}): ResultPromise {
    const child = execa('ip', ['netns', 'exec', node.ns, command, ...args], {
      reject: false,
      buffer: false,
      stdin: 'ignore',
      cwd: REPO_ROOT,
      env: {...LAN_ENV, ...env},
      timeout: 30 * 60_000,
    })
    this.children.add(child)
    void child.finally(() => this.children.delete(child))
    return child
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  /** A games folder with these games (catalog entry, version.ini, one file). */
  async gamesFolder(ids: string[]): Promise<string> {
    const dir = await this.tempDir('lanspread-lan-')
    await writeGames(dir, ids)
    return dir
  }

  /** `serve --json` in the node's namespace, mDNS on its eth0; resolves once it listens (40 node processes starting at once on 2 cores need more than the default). */
  async startServe(node: LanNode, gamesDir: string, extraArgs: string[] = [], env: Record<string, string> = {}, readyTimeoutMs = 30_000): Promise<LanPeer> {
    const child = this.spawn(node, 'node', [CLI, 'serve', '--json', '--games', gamesDir, '--port', '4870', '--interface', 'eth0', ...extraArgs], env)
    const peer = follow(node, gamesDir, child)
    const listening = await peer.waitFor('listening', (event) => event.event === 'listening', readyTimeoutMs)
    peer.peerId = String(listening.peer_id)
    return peer
  }

  /** Kills every process in every namespace, deletes the namespaces (veths and bridge go with them) and temp folders. */
  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL')
    await Promise.allSettled([...this.children])
    for (const ns of [...this.nodes.map((node) => node.ns), this.bridgeNs]) await removeNamespace(ns)
    for (const dir of this.dirs) await fs.rm(dir, {recursive: true, force: true})
  }
}

export async function writeGames(gamesDir: string, ids: string[]): Promise<void> {
  const catalogPath = path.join(gamesDir, 'catalog.json')
  const existing = JSON.parse(await fs.readFile(catalogPath, 'utf8').catch(() => '[]')) as {id: string; name: string}[]
  for (const id of ids) {
    await fs.mkdir(path.join(gamesDir, id), {recursive: true})
    await fs.writeFile(path.join(gamesDir, id, 'version.ini'), '1.0\n')
    await fs.writeFile(path.join(gamesDir, id, 'data.eti'), `bytes of ${id}`)
  }
  await fs.writeFile(catalogPath, JSON.stringify([...existing, ...ids.map((id) => ({id, name: id}))]))
}

async function removeNamespace(ns: string): Promise<void> {
  const pids = await execa('ip', ['netns', 'pids', ns], {reject: false, timeout: 10_000})
  for (const pid of String(pids.stdout).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await execa('ip', ['netns', 'del', ns], {reject: false, timeout: 10_000})
}

/** Namespaces of an earlier run whose process is gone (a crashed or killed test). */
async function sweepLeftovers(): Promise<void> {
  const list = await execa('ip', ['netns', 'list'], {reject: false, timeout: 10_000})
  for (const line of String(list.stdout).split('\n')) {
    const match = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line.trim())
    if (!match) continue
    const owner = Number(match[2])
    if (owner !== process.pid && !isAlive(owner)) await removeNamespace(match[1]!)
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function follow(node: LanNode, gamesDir: string, child: ResultPromise): LanPeer {
  const followed = followServe(node.ns, child)
  const known = new Map<string, number | null>()
  let folded = 0
  // Folded as events arrive, not per call: converge() asks every peer about every other one.
  const knownNow = (): Map<string, number | null> => {
    for (; folded < followed.events.length; folded++) {
      const event = followed.events[folded]!
      const id = String(event.peer_id)
      if (event.event === 'peer_found') known.set(id, null)
      if (event.event === 'peer_lost') known.delete(id)
      if (event.event === 'peer_library_changed' && known.has(id)) known.set(id, Number(event.game_count))
    }
    return known
  }
  return {
    node,
    gamesDir,
    child,
    peerId: '',
    events: followed.events,
    stderr: followed.stderr,
    known: knownNow,
    waitFor: (what, check, timeoutMs = 15_000) => followed.waitFor(what, check, timeoutMs),
  }
}

/** Waits until every peer knows every other one with its library; resolves the milliseconds it took. */
export async function converge(peers: readonly LanPeer[], expectedGames: (peer: LanPeer) => number, timeoutMs: number): Promise<number> {
  const start = Date.now()
  const done = (): boolean => peers.every((peer) => peers.every((other) => other === peer || peer.known().get(other.peerId) === expectedGames(other)))
  while (!done()) {
    if (Date.now() - start > timeoutMs) {
      const missing = peers.flatMap((peer) =>
        peers.filter((o) => o !== peer && peer.known().get(o.peerId) !== expectedGames(o)).map((o) => `${peer.node.ns}→${o.node.ns}`),
      )
      throw new Error(
        `no convergence after ${timeoutMs} ms: ${missing.length} of ${peers.length * (peers.length - 1)} (peer, other) pairs missing: ${missing.slice(0, 20).join(' ')}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now() - start
}
