// Fails a test when an error escaped every handler during it: an uncaught exception or an
// unhandled rejection in a socket or stream handler would kill `serve` in production.
import {afterEach, beforeEach, expect} from 'vitest'

/** Call at the top of a test file: every test in it then asserts that nothing escaped. */
export function failOnEscapedErrors(): void {
  const escaped: unknown[] = []
  const record = (error: unknown) => escaped.push(error)
  beforeEach(() => {
    escaped.length = 0
    process.on('uncaughtException', record)
    process.on('unhandledRejection', record)
  })
  afterEach(() => {
    process.off('uncaughtException', record)
    process.off('unhandledRejection', record)
    expect(escaped).toEqual([])
  })
}
