// A bound on any promise: rejects with an `io` error naming what timed out, and runs a
// cleanup (reset the stream, close the connection) so the abandoned work stops too.
import {LanspreadError} from '../errors.js'

export const TIMEOUT_HINT = 'the peer may be overloaded or gone; it is tried again later'

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(timeoutError(what, ms))
      try {
        onTimeout?.()
      } catch {
        // Cleanup of something that timed out is best effort; the caller already has its error.
      }
    }, ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

export function timeoutError(what: string, ms: number): LanspreadError {
  return new LanspreadError('io', `${what} timed out after ${ms} ms`, {hint: TIMEOUT_HINT})
}

export function isTimeoutError(error: unknown): boolean {
  return error instanceof LanspreadError && error.code === 'io' && / timed out after \d+ ms$/.test(error.message)
}
