import {describe, expect, it} from 'vitest'
import {ERROR_CODES, LanspreadError} from '../../src/errors.js'
import {parseMessage} from '../../src/protocol/parse-message.js'
import {WIRE_ERROR_CODES, WIRE_ERROR_TABLE, fromWireError, localCodeOf, toWireError} from '../../src/protocol/wire-errors.js'

describe('wire error table', () => {
  it('maps every local code to a wire code, and every wire code back to exactly one local code', () => {
    for (const code of ERROR_CODES) expect(WIRE_ERROR_CODES).toContain(WIRE_ERROR_TABLE[code].wire)
    for (const wire of WIRE_ERROR_CODES) {
      const travelling = ERROR_CODES.filter((code) => WIRE_ERROR_TABLE[code].wire === wire && WIRE_ERROR_TABLE[code].travels)
      expect(travelling, wire).toHaveLength(1)
    }
  })

  it('round-trips every code that travels, and sends local-only codes as internal', () => {
    for (const code of ERROR_CODES) {
      const wire = toWireError(new LanspreadError(code, `failed with ${code}`))
      expect(parseMessage(wire)).toEqual(wire)
      const back = fromWireError(wire, 'peer-1')
      expect(back.code).toBe(WIRE_ERROR_TABLE[code].travels ? code : 'internal')
    }
    expect(toWireError(new LanspreadError('usage', 'bad flag')).code).toBe('internal')
  })

  it('says internal error, and nothing more, for anything that is not a LanspreadError', () => {
    expect(toWireError(new Error('ENOENT /home/me/secret'))).toEqual({type: 'Error', code: 'internal', message: 'internal error'})
  })

  it('cuts a long local message to what the schema accepts', () => {
    const wire = toWireError(new LanspreadError('io', 'x'.repeat(5000)))
    expect(parseMessage(wire)).toEqual(wire)
    expect(wire.message).toHaveLength(1024)
  })

  it('treats a wire code from a newer peer as internal, and makes its text safe to log', () => {
    expect(localCodeOf('quota_exceeded')).toBe('internal')
    const error = fromWireError({type: 'Error', code: 'quota_exceeded', message: 'no\u001b[2Jmore\nroom'}, 'peer-2')
    expect(error.code).toBe('internal')
    expect(error.message).toBe('peer peer-2 answered "quota_exceeded": "no?[2Jmore?room"')
    expect(error.hint).toBeTruthy()
  })

  it('names a peer given with its address (as the bulk TLS client does) once, not "peer peer"', () => {
    const error = fromWireError({type: 'Error', code: 'not_available', message: 'no'}, 'abc (10.0.0.2:4870)')
    expect(error.message).toBe('peer abc (10.0.0.2:4870) answered "not_available": "no"')
  })

  it('maps the codes a download cares about to distinct local codes', () => {
    expect(localCodeOf('not_found')).toBe('not_found')
    expect(localCodeOf('not_available')).toBe('not_downloaded')
    expect(localCodeOf('busy')).toBe('busy')
    expect(localCodeOf('bad_request')).toBe('invalid_input')
    expect(localCodeOf('bad_frame')).toBe('protocol')
  })
})
