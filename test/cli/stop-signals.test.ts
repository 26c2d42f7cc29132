import {EventEmitter} from 'node:events'
import {describe, expect, it} from 'vitest'
import {EXIT_CODES} from '../../src/cli/exit-codes.js'
import {firstSignal} from '../../src/cli/serve.js'
import {SIGNAL_CODES, stopSignals} from '../../src/cli/stop-signals.js'

describe('the signals that stop lanspread (record 0035)', () => {
  it('are SIGINT and SIGTERM on linux and macOS', () => {
    expect(stopSignals('linux')).toEqual(['SIGINT', 'SIGTERM'])
    expect(stopSignals('darwin')).toEqual(['SIGINT', 'SIGTERM'])
  })

  it('are Ctrl-C, Ctrl-Break and a closed console on win32, never SIGTERM', () => {
    expect(stopSignals('win32')).toEqual(['SIGINT', 'SIGBREAK', 'SIGHUP'])
  })

  it('end a command with exit 130 for a key pressed, 143 for being told to go', () => {
    expect(EXIT_CODES[SIGNAL_CODES.SIGBREAK]).toBe(130)
    expect(EXIT_CODES[SIGNAL_CODES.SIGINT]).toBe(130)
    expect(EXIT_CODES[SIGNAL_CODES.SIGHUP]).toBe(143)
    expect(EXIT_CODES[SIGNAL_CODES.SIGTERM]).toBe(143)
  })

  it('stop serve on the first of them, which then listens no more', async () => {
    const events = new EventEmitter()
    const stopped = firstSignal(stopSignals('win32'), events)
    expect(events.listenerCount('SIGBREAK')).toBe(1)
    expect(events.listenerCount('SIGTERM')).toBe(0)
    events.emit('SIGBREAK')
    expect(await stopped).toBe('SIGBREAK')
    for (const signal of stopSignals('win32')) expect(events.listenerCount(signal)).toBe(0)
  })
})
