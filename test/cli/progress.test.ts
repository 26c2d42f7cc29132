import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {byteProgressBar} from '../../src/cli/progress.js'

/** A stream that claims to be a terminal and keeps what is written to it. */
function fakeTerminal(): {stream: NodeJS.WriteStream; text(): string} {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough
  let written = ''
  Object.assign(stream, {isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true})
  stream.on('data', (piece: Buffer) => (written += piece.toString()))
  return {stream, text: () => written}
}

describe('byteProgressBar', () => {
  it("takes each item's own total when one bar shows several items in turn", async () => {
    const terminal = fakeTerminal()
    const bar = byteProgressBar(true, terminal.stream)
    bar.update(0, 100 * 1024 * 1024, 'quake')
    bar.update(100 * 1024 * 1024, 100 * 1024 * 1024, 'quake')
    bar.update(6 * 1024 * 1024, 6 * 1024 * 1024, 'openarena')
    bar.stop()
    await new Promise((resolve) => setImmediate(resolve))
    expect(terminal.text()).toContain('100% | 6.0 MiB / 6.0 MiB | openarena')
  })

  it('writes nothing when the stream is not a terminal', async () => {
    const terminal = fakeTerminal()
    Object.assign(terminal.stream, {isTTY: false})
    const bar = byteProgressBar(true, terminal.stream)
    bar.update(1, 2, 'quake')
    bar.stop()
    await new Promise((resolve) => setImmediate(resolve))
    expect(terminal.text()).toBe('')
  })
})
