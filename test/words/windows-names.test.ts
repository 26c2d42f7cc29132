import {describe, expect, it} from 'vitest'
import {platformGameIdProblem, platformPathProblem} from '../../src/words/platform-paths.js'
import {CaseFolds, windowsNameKey, windowsNameProblem, windowsPathProblem} from '../../src/words/windows-names.js'
import {WINDOWS_MAX_PATH, windowsPathLength, windowsPathTooLong} from '../../src/words/windows-paths.js'

describe('names Windows cannot hold', () => {
  it('refuses the device names with any extension, in any case, with spaces before the dot', () => {
    for (const name of ['CON', 'con', 'Prn.txt', 'aux.tar.gz', 'NUL', 'nul .txt', 'COM1', 'com9.dat', 'LPT1', 'lpt9.log', 'COM\u00B9']) {
      expect(windowsNameProblem(name), name).toMatch(/device name/)
    }
  })

  it('keeps names that only contain a device name', () => {
    for (const name of ['CONSOLE', 'console.txt', 'COM0', 'COM10', 'LPT', 'xnul', 'nul_', 'aux-data.pak', '.con', 'readme.txt']) {
      expect(windowsNameProblem(name), name).toBeUndefined()
    }
  })

  it('refuses a trailing dot or space', () => {
    expect(windowsNameProblem('save.')).toMatch(/ends with a dot or a space/)
    expect(windowsNameProblem('Data ')).toMatch(/ends with a dot or a space/)
  })

  it('refuses <>:"|?*, control characters and backslashes', () => {
    for (const char of ['<', '>', ':', '"', '|', '?', '*']) expect(windowsNameProblem(`a${char}b`)).toContain(`"${char}"`)
    expect(windowsNameProblem('a\u0001b')).toContain('U+0001')
    expect(windowsNameProblem('tab\there')).toContain('U+0009')
    expect(windowsNameProblem('a\\b')).toMatch(/backslash/)
  })

  it('names the segment of a path that is refused', () => {
    expect(windowsPathProblem('maps/aux/level1.bsp')).toEqual({segment: 'aux', reason: expect.stringMatching(/AUX/)})
    expect(windowsPathProblem('maps/level1.bsp')).toBeUndefined()
  })
})

describe('names that collide case-insensitively', () => {
  it('folds one character to one', () => {
    expect(windowsNameKey('Data/Straße.txt')).toBe('DATA/STRAßE.TXT')
  })

  it('finds two spellings of one file, and of one folder', () => {
    const files = new CaseFolds()
    expect(files.add('Readme.txt')).toBeUndefined()
    expect(files.add('Readme.txt')).toBeUndefined()
    expect(files.add('README.TXT')).toBe('Readme.txt')
    const folders = new CaseFolds()
    expect(folders.add('Data/a.pak')).toBeUndefined()
    expect(folders.add('data/b.pak')).toBe('Data')
  })
})

describe('paths longer than Windows programs open', () => {
  it('counts the root, one separator and the path', () => {
    expect(windowsPathLength('C:\\games\\quake\\', 'a/b.txt')).toBe('C:\\games\\quake'.length + 1 + 7)
    const root = 'C:\\games'
    const fits = 'x'.repeat(WINDOWS_MAX_PATH - root.length - 1)
    expect(windowsPathTooLong(root, fits)).toBe(false)
    expect(windowsPathTooLong(root, `${fits}y`)).toBe(true)
  })
})

describe('the platform rule', () => {
  const root = 'C:\\games\\quake3'

  it('holds any name on linux, so two Linux peers share games with such names', () => {
    expect(platformPathProblem('linux', '/games/quake3', ['CON.txt', 'a.', 'x:y', 'A', 'a', 'z'.repeat(400)])).toBeUndefined()
    expect(platformGameIdProblem('linux', 'CON')).toBeUndefined()
  })

  it('on win32 refuses each kind, naming the path and what to do', () => {
    const cases: [string[], RegExp][] = [
      [['maps/CON.bsp'], /"CON.bsp".*device name CON/],
      [['save. '], /ends with a dot or a space/],
      [['a?.txt'], /"\?"/],
      [['Music/a.ogg', 'music/b.ogg'], /differs from "Music" only in upper and lower case/],
      [['d/'.repeat(130) + 'x'], /past the 259/],
    ]
    for (const [paths, reason] of cases) {
      const problem = platformPathProblem('win32', root, paths)
      expect(problem?.path).toBe(paths.at(-1))
      expect(problem?.reason).toMatch(reason)
      expect(problem?.hint.length).toBeGreaterThan(10)
    }
    expect(platformPathProblem('win32', root, ['maps/q3dm1.bsp', 'version.ini'])).toBeUndefined()
  })

  it('on win32 tells to move the games folder when a path is too long', () => {
    expect(platformPathProblem('win32', root, ['x'.repeat(300)])?.hint).toMatch(/games folder closer to the drive root/)
  })

  it('on win32 refuses a game ID that is a device name or ends with a dot', () => {
    expect(platformGameIdProblem('win32', 'aux')?.reason).toMatch(/AUX/)
    expect(platformGameIdProblem('win32', 'quake.')?.reason).toMatch(/ends with a dot/)
    expect(platformGameIdProblem('win32', 'quake3')).toBeUndefined()
  })
})
