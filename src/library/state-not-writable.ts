// A state folder that cannot be written (read-only file system, no permission): told apart from
// other I/O errors, and said with the flag that moves the state elsewhere.
import {LanspreadError, errnoCode, isLanspreadError} from '../errors.js'
import {errnoWords} from './skipped.js'

const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM'])

export function isStateNotWritable(error: unknown): error is LanspreadError {
  return isLanspreadError(error, 'io') && NOT_WRITABLE.has(errnoCode(error.cause) ?? '')
}

export function notWritableReason(error: LanspreadError): string {
  return errnoWords(errnoCode(error.cause)) ?? error.message
}

export function stateNotWritable(stateDir: string, error: LanspreadError): LanspreadError {
  return new LanspreadError('io', `cannot write the state folder ${stateDir}: ${notWritableReason(error)}`, {
    hint: 'use --state-dir PATH to keep the index in a writable folder (or make this one writable)',
    cause: error,
  })
}
