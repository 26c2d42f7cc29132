import {describe, expect, it, vi} from 'vitest'
import {isTimeoutError, withTimeout} from '../../src/transport/with-timeout.js'

describe('withTimeout', () => {
  it('passes a result through and leaves no timer behind', async () => {
    vi.useFakeTimers()
    try {
      const onTimeout = vi.fn()
      await expect(withTimeout(Promise.resolve(7), 1_000, 'quick', onTimeout)).resolves.toBe(7)
      expect(vi.getTimerCount()).toBe(0)
      expect(onTimeout).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects with an io error naming what timed out, runs the cleanup, and absorbs the late failure', async () => {
    vi.useFakeTimers()
    try {
      let failLate!: (error: Error) => void
      const slow = new Promise<number>((_, reject) => (failLate = reject))
      const onTimeout = vi.fn(() => failLate(new Error('stream reset by the cleanup')))
      const result = withTimeout(slow, 250, 'GetGame to peer at 127.0.0.1:1', onTimeout)
      const assertion = expect(result).rejects.toMatchObject({
        code: 'io',
        message: 'GetGame to peer at 127.0.0.1:1 timed out after 250 ms',
      })
      await vi.advanceTimersByTimeAsync(250)
      await assertion
      expect(onTimeout).toHaveBeenCalledOnce()
      expect(isTimeoutError(await result.catch((e: unknown) => e))).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps the original error when the work fails first', async () => {
    const error = new Error('boom')
    await expect(withTimeout(Promise.reject(error), 1_000, 'x')).rejects.toBe(error)
    expect(isTimeoutError(error)).toBe(false)
  })
})
