// The tar guard's callbacks run inside tar's stream code: a bug there must become a
// recorded failure, never an uncaught exception. Also the progress listener's safety net.
import {ReadEntry} from 'tar'
import {describe, expect, it} from 'vitest'
import {createProgress} from '../../../src/ops/extract/progress.js'
import {TarGuard} from '../../../src/ops/extract/tar-guard.js'

describe('TarGuard', () => {
  it('turns an exception inside its filter into an internal failure and drops the entry', () => {
    let stopped = 0
    const guard = new TarGuard('/x/game.eti', '/x/dest', () => (stopped += 1))
    const broken = Object.create(ReadEntry.prototype, {
      path: {
        get() {
          throw new TypeError('broken entry')
        },
      },
    }) as ReadEntry
    expect(guard.filter('a', broken)).toBe(false)
    expect(guard.failure?.code).toBe('internal')
    expect(guard.failure?.message).toContain('/x/game.eti')
    expect(stopped).toBe(1)
  })

  it('maps tar warnings: a link through a symbolic link is unsafe, an invalid header is corrupt', () => {
    const unsafe = new TarGuard('/x/game.eti', '/x/dest', () => undefined)
    unsafe.onwarn('TAR_ENTRY_ERROR', 'Cannot extract through symbolic link', {code: 'TAR_SYMLINK_ERROR', path: 'a/b'})
    expect(unsafe.failure?.code).toBe('archive_unsafe')
    const corrupt = new TarGuard('/x/game.eti', '/x/dest', () => undefined)
    corrupt.onwarn('TAR_ENTRY_INVALID', 'checksum failure', {})
    expect(corrupt.failure?.code).toBe('archive_corrupt')
    const io = new TarGuard('/x/game.eti', '/x/dest', () => undefined)
    io.onwarn('TAR_ENTRY_ERROR', 'ENOSPC', {code: 'ENOSPC', syscall: 'write', path: '/x/dest/a'})
    expect(io.failure?.code).toBe('io')
  })
})

describe('createProgress', () => {
  it('keeps a throwing listener from escaping, stops calling it, and fails at finish', () => {
    const calls: number[] = []
    const progress = createProgress(100, (read) => {
      calls.push(read)
      throw new Error('listener bug')
    })
    progress.add(10)
    progress.add(10)
    expect(calls).toEqual([10])
    expect(() => progress.finish()).toThrow(/progress listener failed/)
  })

  it('caps at the total and never goes backwards', () => {
    const calls: Array<[number, number]> = []
    const progress = createProgress(50, (read, total) => calls.push([read, total]))
    progress.add(30)
    progress.add(40)
    progress.add(5)
    progress.finish()
    expect(calls).toEqual([
      [30, 50],
      [50, 50],
    ])
  })
})
