import {describe, expect, it} from 'vitest'
import {RescanGate} from '../../src/peer/rescan-gate.js'

function deferred(): {promise: Promise<void>; resolve: () => void} {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return {promise, resolve}
}

describe('RescanGate', () => {
  it('drops every event of a game an operation owns', async () => {
    const rescans: string[][] = []
    const gate = new RescanGate({rescan: async (ids) => void rescans.push(ids), isBusy: (id) => id === 'busy', onError: () => {}})
    for (let i = 0; i < 1000; i++) gate.notify('busy')
    await gate.idle()
    expect(rescans).toEqual([])
    expect(gate.stats.dropped).toBe(1000)
  })

  it('runs once more when events arrive during a rescan, never twice at once', async () => {
    const rescans: string[][] = []
    let running = 0
    let maxRunning = 0
    const first = deferred()
    const gate = new RescanGate({
      rescan: async (ids) => {
        running++
        maxRunning = Math.max(maxRunning, running)
        rescans.push(ids)
        if (rescans.length === 1) await first.promise
        running--
      },
      isBusy: () => false,
      onError: () => {},
    })
    gate.notify('a')
    for (let i = 0; i < 500; i++) gate.notify(i % 2 ? 'a' : 'b')
    first.resolve()
    await gate.idle()
    expect(rescans.map((ids) => [...ids].sort())).toEqual([['a'], ['a', 'b']])
    expect(maxRunning).toBe(1)
  })

  it('goes on after a failed rescan', async () => {
    const errors: unknown[] = []
    let calls = 0
    const gate = new RescanGate({
      rescan: async () => {
        calls++
        if (calls === 1) throw new Error('disk on fire')
      },
      isBusy: () => false,
      onError: (error) => errors.push(error),
    })
    gate.notify('a')
    await gate.idle()
    gate.notify('a')
    await gate.idle()
    expect(calls).toBe(2)
    expect(errors).toHaveLength(1)
  })
})
