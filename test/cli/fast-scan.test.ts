import {describe, expect, it} from 'vitest'
import {fastScanFlags} from '../../src/cli/fast-scan-flags.js'

describe('fastScanFlags', () => {
  it('takes the plain forms of scan, values with or without =', () => {
    expect(fastScanFlags(['scan'], {})).toEqual({json: false, full: false})
    expect(fastScanFlags(['scan', '--json', '--full', '--games', '/g', '--state-dir=/s', '--catalog', 'c.json'], {})).toEqual({
      json: true,
      full: true,
      games: '/g',
      'state-dir': '/s',
      catalog: 'c.json',
    })
  })

  it.each([
    ['another command', ['library', '--json']],
    ['help', ['scan', '--help']],
    ['a short flag', ['scan', '-h']],
    ['an unknown flag', ['scan', '--ful']],
    ['an argument', ['scan', 'quake3']],
    ['a repeated flag', ['scan', '--json', '--json']],
    ['a repeated option', ['scan', '--games', 'a', '--games=b']],
    ['a missing value', ['scan', '--games']],
    ['an empty value', ['scan', '--games=']],
    ['a value that looks like a flag', ['scan', '--games', '--json']],
    ['a boolean with a value', ['scan', '--json=true']],
    ['the end of flags', ['scan', '--']],
    ['nothing', []],
  ])('leaves %s to oclif', (_, argv) => {
    expect(fastScanFlags(argv, {})).toBeUndefined()
  })

  it('leaves LANSPREAD_CONTENT_TYPE (oclif reads it as --json) to oclif', () => {
    expect(fastScanFlags(['scan'], {LANSPREAD_CONTENT_TYPE: 'json'})).toBeUndefined()
  })
})
