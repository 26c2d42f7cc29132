import {describe, expect, it} from 'vitest'
import {closestName, editDistance} from '../../src/cli/closest.js'

const COMMANDS = ['autocomplete', 'help', 'install', 'library', 'recover', 'scan', 'uninstall']

describe('closestName', () => {
  it('finds the command a typo meant', () => {
    expect(closestName('sacn', COMMANDS)).toBe('scan')
    expect(closestName('instal', COMMANDS)).toBe('install')
    expect(closestName('libary', COMMANDS)).toBe('library')
    expect(closestName('recovr', COMMANDS)).toBe('recover')
    expect(closestName('uninstal', COMMANDS)).toBe('uninstall')
  })

  it('suggests nothing for a word that is no typo of any command', () => {
    expect(closestName('xyzzyq', COMMANDS)).toBeUndefined()
    expect(closestName('fetch', COMMANDS)).toBeUndefined()
  })

  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('scan', 'scan')).toBe(0)
  })
})
