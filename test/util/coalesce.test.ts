import {describe, expect, it} from 'vitest'
import {Coalescer} from '../../src/util/coalesce.js'

function deferred(): {promise: Promise<void>; resolve: () => void; reject: (error: Error) => void} {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {promise, resolve, reject}
}

/** A run per key that waits for the test to let it finish, counting runs and the most at once. */
function gatedRuns() {
  const gates: Record<string, ReturnType<typeof deferred>[]> = {}
  const runs: string[] = []
  const running = new Map<string, number>()
  let mostAtOnce = 0
  const run = async (key: string): Promise<void> => {
    runs.push(key)
    running.set(key, (running.get(key) ?? 0) + 1)
    mostAtOnce = Math.max(mostAtOnce, running.get(key)!)
    const gate = deferred()
    ;(gates[key] ??= []).push(gate)
    try {
      await gate.promise
    } finally {
      running.set(key, running.get(key)! - 1)
    }
  }
  const release = (key: string, error?: Error): void => {
    const gate = gates[key]?.shift()
    if (!gate) throw new Error(`no run of ${key} is waiting`)
    if (error) gate.reject(error)
    else gate.resolve()
  }
  return {run, runs, release, mostAtOnce: () => mostAtOnce}
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('Coalescer', () => {
  it('starts a run at once, synchronously, and forgets the key when it ends', async () => {
    const order: string[] = []
    const coalescer = new Coalescer<string>(async (key) => void order.push(`run ${key}`))
    coalescer.request('a')
    order.push('after request')
    expect(order).toEqual(['run a', 'after request'])
    expect(coalescer.isRunning('a')).toBe(true)
    await coalescer.idle('a')
    expect(coalescer.isRunning('a')).toBe(false)
  })

  it('runs one key at a time, and keys apart from each other', async () => {
    const gated = gatedRuns()
    const coalescer = new Coalescer<string>(gated.run)
    coalescer.request('a')
    coalescer.request('b')
    coalescer.request('a')
    expect(gated.runs).toEqual(['a', 'b'])
    expect(gated.mostAtOnce()).toBe(1)
    gated.release('b')
    await coalescer.idle('b')
    gated.release('a')
    await tick()
    expect(gated.runs).toEqual(['a', 'b', 'a'])
    gated.release('a')
    await coalescer.idle('a')
    expect(gated.mostAtOnce()).toBe(1)
  })

  it('turns any number of requests during a run into exactly one more run', async () => {
    const gated = gatedRuns()
    const coalescer = new Coalescer<string>(gated.run)
    coalescer.request('a')
    expect(coalescer.hasPending('a')).toBe(false)
    for (let i = 0; i < 1000; i++) coalescer.request('a')
    expect(coalescer.hasPending('a')).toBe(true)
    gated.release('a')
    await tick()
    expect(gated.runs).toEqual(['a', 'a'])
    expect(coalescer.hasPending('a')).toBe(false)
    gated.release('a')
    await coalescer.idle('a')
    expect(gated.runs).toEqual(['a', 'a'])
    expect(coalescer.isRunning('a')).toBe(false)
  })

  it('runs once more for a request made during the follow-up run too, and idle waits for all of them', async () => {
    const gated = gatedRuns()
    const coalescer = new Coalescer<string>(gated.run)
    coalescer.request('a')
    coalescer.request('a')
    let idle = false
    const waiting = coalescer.idle('a').then(() => (idle = true))
    gated.release('a')
    await tick()
    coalescer.request('a')
    gated.release('a')
    await tick()
    expect(idle).toBe(false)
    gated.release('a')
    await waiting
    expect(gated.runs).toEqual(['a', 'a', 'a'])
  })

  it('does not wedge a key whose run throws: onError hears of it and the next request runs', async () => {
    const gated = gatedRuns()
    const errors: [string, unknown][] = []
    const coalescer = new Coalescer<string>(gated.run, {onError: (key, error) => errors.push([key, error])})
    coalescer.request('a')
    gated.release('a', new Error('disk on fire'))
    await coalescer.idle('a')
    expect(errors.map(([key, error]) => [key, (error as Error).message])).toEqual([['a', 'disk on fire']])
    expect(coalescer.isRunning('a')).toBe(false)
    coalescer.request('a')
    expect(gated.runs).toEqual(['a', 'a'])
    gated.release('a')
    await coalescer.idle('a')
  })

  it('drops a request made during a run that throws: a failing run never repeats itself', async () => {
    const gated = gatedRuns()
    const coalescer = new Coalescer<string>(gated.run, {onError: () => {}})
    coalescer.request('a')
    coalescer.request('a')
    gated.release('a', new Error('peer gone'))
    await coalescer.idle('a')
    expect(gated.runs).toEqual(['a'])
  })

  it('is bounded: a storm of requests costs at most one queued run per key, and holds only running keys', async () => {
    let runs = 0
    const coalescer = new Coalescer<number>(async () => {
      runs++
      await tick()
    })
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10_000; i++) coalescer.request(i % 4)
      await tick()
    }
    await Promise.all([0, 1, 2, 3].map((key) => coalescer.idle(key)))
    // Each round: a run in progress and one queued per key at most.
    expect(runs).toBeLessThanOrEqual(10 * 4 * 2)
    expect([0, 1, 2, 3].some((key) => coalescer.isRunning(key))).toBe(false)
  })

  it('keeps two keys that are distinct objects apart, even when they describe the same thing', async () => {
    const gated = gatedRuns()
    const first = {peer: 'p'}
    const second = {peer: 'p'}
    const coalescer = new Coalescer<{peer: string}>((state) => gated.run(state.peer))
    coalescer.request(first)
    coalescer.request(second)
    expect(gated.runs).toEqual(['p', 'p'])
    gated.release('p')
    gated.release('p')
    await Promise.all([coalescer.idle(first), coalescer.idle(second)])
  })
})
