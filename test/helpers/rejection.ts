// The LanspreadError a promise must reject with: tests of refusals (hostile frames, bad
// requests, broken connections) then look at its code and words.
import {expect} from 'vitest'
import {LanspreadError} from '../../src/errors.js'

export async function lanspreadRejection(promise: Promise<unknown>): Promise<LanspreadError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(LanspreadError)
  return error as LanspreadError
}
