// A discrete-time swarm for the chunk picker: one seed and N fetchers, each fetcher with its
// own ChunkPicker over the others, equal upload caps shared round-robin between requesters,
// Have announcements delivered one tick after the chunk landed (batched, as over ≤ 250 ms).
import {ChunkPicker} from '../../src/download/chunk-picker.js'
import type {PickerLimits} from '../../src/download/picker-limits.js'
import {seededRandom} from './protocol.js'

export interface SwarmOptions {
  chunks: number
  fetchers: number
  /** Chunks each node sends per tick, shared round-robin between the fetchers asking it. */
  uploadPerTick: number
  seed: number
  /** Tick at which the seed leaves (its queued requests are lost). */
  seedLeavesAt?: number
  /** Chunks a fetcher (1..fetchers) holds from the start, as if fetched before. */
  initialHave?: (fetcher: number) => number[]
  limits?: Partial<PickerLimits>
}

export interface SwarmResult {
  ticks: number
  /** Chunks each node sent; node 0 is the seed. */
  uploads: number[]
  finished: boolean[]
  duplicates: number
  missing: number[][]
}

const nodeId = (node: number): string => `n${node}`

interface Fetcher {
  node: number
  picker: ChunkPicker
  verified: Set<number>
  announce: number[]
  /** Chunks landed per source this tick, for the rate estimate. */
  landed: Map<string, number>
  rates: Map<string, number>
}

export function simulateSwarm(options: SwarmOptions): SwarmResult {
  const random = seededRandom(options.seed)
  const nodes = options.fetchers + 1
  const all = Array.from({length: options.chunks}, (_, index) => index)
  const fetchers: Fetcher[] = []
  for (let node = 1; node < nodes; node++) {
    const initial = new Set(options.initialHave?.(node) ?? [])
    const picker = new ChunkPicker({
      chunkCount: options.chunks,
      needed: all.filter((chunk) => !initial.has(chunk)),
      random: seededRandom(options.seed * 100 + node),
      limits: options.limits,
    })
    fetchers.push({node, picker, verified: initial, announce: [], landed: new Map(), rates: new Map()})
  }
  for (const fetcher of fetchers) {
    fetcher.picker.addSeed(nodeId(0))
    for (const other of fetchers) if (other !== fetcher) fetcher.picker.addPartial(nodeId(other.node), other.verified)
  }
  // queues[uploader][fetcher] = chunks asked, in order
  const queues: number[][][] = Array.from({length: nodes}, () => Array.from({length: nodes}, () => []))
  const uploads = new Array<number>(nodes).fill(0)
  let duplicates = 0
  let seedPresent = true
  let tick = 0
  const done = (): boolean => fetchers.every((fetcher) => fetcher.picker.remaining === 0)
  for (; tick < 50 * options.chunks && !done(); tick++) {
    if (seedPresent && tick === options.seedLeavesAt) {
      seedPresent = false
      for (const fetcher of fetchers) fetcher.picker.removeSource(nodeId(0))
      for (const queue of queues[0]!) queue.length = 0
    }
    for (const fetcher of fetchers) {
      if (fetcher.announce.length === 0) continue
      for (const other of fetchers) if (other !== fetcher) other.picker.addHave(nodeId(fetcher.node), fetcher.announce)
      fetcher.announce = []
    }
    for (const fetcher of shuffled(fetchers, random)) {
      for (const node of shuffled(
        Array.from({length: nodes}, (_, index) => index),
        random,
      )) {
        if (node === fetcher.node) continue
        for (let pick = fetcher.picker.pick(nodeId(node)); pick !== undefined; pick = fetcher.picker.pick(nodeId(node))) {
          queues[node]![fetcher.node]!.push(pick.chunk)
          if (pick.duplicate) duplicates++
        }
      }
    }
    if (queues.every((asking) => asking.every((queue) => queue.length === 0))) break // stalled: nobody has what is missing
    for (let uploader = 0; uploader < nodes; uploader++) serve(uploader, tick)
    for (const fetcher of fetchers) updateRates(fetcher)
  }
  return {
    ticks: tick,
    uploads,
    finished: fetchers.map((fetcher) => fetcher.picker.remaining === 0),
    duplicates,
    missing: fetchers.map((fetcher) => fetcher.picker.missingChunks()),
  }

  function serve(uploader: number, tick: number): void {
    const asking = queues[uploader]!
    for (let sent = 0, turn = tick; sent < options.uploadPerTick; turn++) {
      const fetcherNode = firstAsking(asking, turn)
      if (fetcherNode === undefined) return
      const chunk = asking[fetcherNode]!.shift()!
      uploads[uploader]!++
      sent++
      land(fetchers[fetcherNode - 1]!, uploader, chunk)
    }
  }

  function land(fetcher: Fetcher, uploader: number, chunk: number): void {
    const source = nodeId(uploader)
    fetcher.landed.set(source, (fetcher.landed.get(source) ?? 0) + 1)
    for (const cancel of fetcher.picker.complete(source, chunk)) {
      const queue = queues[Number(cancel.source.slice(1))]![fetcher.node]!
      queue.splice(queue.indexOf(cancel.chunk), 1)
    }
    if (fetcher.verified.has(chunk)) return
    fetcher.verified.add(chunk)
    fetcher.announce.push(chunk)
  }

  function updateRates(fetcher: Fetcher): void {
    for (let node = 0; node < nodes; node++) {
      if (node === fetcher.node) continue
      const source = nodeId(node)
      const rate = 0.8 * (fetcher.rates.get(source) ?? options.uploadPerTick / options.fetchers) + 0.2 * (fetcher.landed.get(source) ?? 0)
      fetcher.rates.set(source, rate)
      fetcher.picker.setRate(source, rate)
    }
    fetcher.landed.clear()
  }
}

/** The first fetcher with a queued request, round-robin from `turn`. */
function firstAsking(asking: number[][], turn: number): number | undefined {
  for (let step = 0; step < asking.length; step++) {
    const node = (turn + step) % asking.length
    if (asking[node]!.length > 0) return node
  }
  return undefined
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let index = out.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    ;[out[index], out[other]] = [out[other]!, out[index]!]
  }
  return out
}
