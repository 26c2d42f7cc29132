import {describe, expect, it} from 'vitest'
import {SerialLock} from '../../src/util/serial-lock.js'

describe('SerialLock (the recv lock of every QUIC connection)', () => {
  it('runs one holder at a time, first come first served', async () => {
    const lock = new SerialLock()
    const log: string[] = []
    let holders = 0
    const hold = (name: string, ms: number) =>
      lock.withF(async () => {
        holders++
        log.push(`${name} in (${holders} holding)`)
        await new Promise((resolve) => setTimeout(resolve, ms))
        log.push(`${name} out`)
        holders--
        return name
      })
    const results = await Promise.all([hold('a', 30), hold('b', 5), hold('c', 1)])
    expect(results).toEqual(['a', 'b', 'c'])
    expect(log).toEqual(['a in (1 holding)', 'a out', 'b in (1 holding)', 'b out', 'c in (1 holding)', 'c out'])
  })

  it('passes a holder’s error to its caller and still lets the next one in', async () => {
    const lock = new SerialLock()
    const failed = lock.withF(async () => {
      throw new Error('recv failed')
    })
    const next = lock.withF(async () => 'next ran')
    await expect(failed).rejects.toThrow('recv failed')
    await expect(next).resolves.toBe('next ran')
  })
})
