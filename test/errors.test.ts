import {describe, expect, it} from 'vitest'
import {describeIoError, getGameAgainHint, ioError} from '../src/errors.js'

function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '/x'`), {code, syscall: 'open'})
}

describe('ioError', () => {
  it.each([
    ['EACCES', 'permission denied', /read and write access/],
    ['EPERM', 'operation not permitted', /read and write access/],
    ['EROFS', 'read-only file system', /read-write.*--state-dir/],
    ['ENOSPC', 'no space left on the device', /free some disk space/],
    ['EDQUOT', 'disk quota exceeded', /quota/],
    ['ENOTDIR', 'a part of the path is not a folder', /a file stands where a folder/],
    ['EISDIR', 'it is a folder', /a folder stands where a file/],
    ['ENOENT', 'it does not exist', /exists/],
    ['EEXIST', 'something already exists there', /move what is in the way/],
    ['EMFILE', 'too many open files', /ulimit -n/],
    ['ENFILE', 'too many open files in the system', /open-file limit/],
    ['EIO', 'input/output error', /check the disk/],
    ['ELOOP', 'too many symbolic links', /looping symbolic link/],
    ['ENAMETOOLONG', 'the path is too long', /shorter path/],
  ])('says %s in words, with a hint for that case', (code, words, hint) => {
    const error = ioError('write', '/games/quake3/local', systemError(code))
    expect(error.code).toBe('io')
    expect(error.message).toBe(`could not write /games/quake3/local: ${words} (${code})`)
    expect(error.hint).toMatch(hint)
  })

  it('keeps the message of an error that is not a system error, and a caller-given hint wins', () => {
    expect(describeIoError(new Error('boom'))).toBe('boom')
    expect(ioError('read', '/a', systemError('EUNKNOWNX')).message).toContain('EUNKNOWNX: something')
    expect(ioError('write', '/s', systemError('EACCES'), {hint: 'use --state-dir'}).hint).toBe('use --state-dir')
  })
})

describe('getGameAgainHint', () => {
  it('names the game and the fetch command that gets it again', () => {
    const hint = getGameAgainHint('quake3')
    expect(hint).toContain('quake3/')
    expect(hint).toContain('run `lanspread fetch quake3`')
    expect(hint).not.toContain('once the peer runtime is in')
  })
})

describe('the hint of a read-only file system', () => {
  it('does not send a write inside a game folder to --state-dir', () => {
    const hint = ioError('write', '/srv/games/quake3/local/x', systemError('EROFS')).hint!
    expect(hint).toMatch(/^mount that file system read-write, then run the command again/)
    expect(hint).not.toContain("use --state-dir to keep lanspread's state")
  })
})
