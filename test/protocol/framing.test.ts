import {describe, expect, it} from 'vitest'
import {isLanspreadError} from '../../src/errors.js'
import {decodeFrameBody, encodeFrame, frameLength} from '../../src/protocol/framing.js'
import {MAX_FRAME_BYTES} from '../../src/protocol/limits.js'
import type {Message} from '../../src/protocol/messages.js'
import {SAMPLES, summary} from '../helpers/protocol.js'

function thrown(action: () => unknown): Error {
  try {
    action()
  } catch (error) {
    return error as Error
  }
  throw new Error('did not throw')
}

describe('encodeFrame', () => {
  it('writes a 4-byte big-endian length and the UTF-8 JSON of every message', () => {
    for (const sample of Object.values(SAMPLES)) {
      const frame = encodeFrame(sample)
      expect(frame.readUInt32BE(0)).toBe(frame.length - 4)
      expect(decodeFrameBody(frame.subarray(4))).toEqual(sample)
    }
  })

  it('counts UTF-8 bytes, not characters', () => {
    const frame = encodeFrame({type: 'Error', code: 'io', message: 'spiel für zwei 🎮'})
    expect(frame.readUInt32BE(0)).toBe(Buffer.byteLength(frame.subarray(4).toString('utf8')))
    expect(decodeFrameBody(frame.subarray(4))).toMatchObject({message: 'spiel für zwei 🎮'})
  })

  it('drops fields the schema does not know, so internal fields never leave the peer', () => {
    const game = {...summary('quake3'), secret_path: '/home/me/games'}
    const leaky: Message = {...SAMPLES.GameList, games: [game]}
    expect(encodeFrame(leaky).toString()).not.toContain('secret_path')
  })

  it('refuses to send a message a peer would refuse', () => {
    const error = thrown(() => encodeFrame({...SAMPLES.GetChunk, path: '../etc/passwd'}))
    expect(isLanspreadError(error, 'protocol')).toBe(true)
    expect(error.message).toContain('cannot send GetChunk.path')
  })

  it('refuses a frame over 8 MiB with a protocol error, and sends one just under it', () => {
    const padding = 'x'.repeat(200)
    const games = Array.from({length: 45_000}, (_, index) => summary(`g${index}`, {name: padding}))
    const error = thrown(() => encodeFrame({...SAMPLES.LibrarySnapshot, games}))
    expect(isLanspreadError(error, 'protocol')).toBe(true)
    expect(error.message).toMatch(/cannot send LibrarySnapshot: its frame is \d+ bytes, over the limit of 8388608/)
    // As many games as fit with 64 KiB to spare, from the encoded size of one.
    const perGame = JSON.stringify(games.at(-1)).length + 1
    const fitting = Math.floor((MAX_FRAME_BYTES - 64 * 1024) / perGame)
    expect(encodeFrame({...SAMPLES.LibrarySnapshot, games: games.slice(0, fitting)}).length).toBeLessThanOrEqual(MAX_FRAME_BYTES + 4)
  })
})

describe('frameLength', () => {
  const prefix = (length: number): Uint8Array => {
    const bytes = Buffer.alloc(4)
    bytes.writeUInt32BE(length, 0)
    return bytes
  }

  it('accepts 1 byte to exactly 8 MiB', () => {
    expect(frameLength(prefix(1))).toBe(1)
    expect(frameLength(prefix(MAX_FRAME_BYTES))).toBe(MAX_FRAME_BYTES)
  })

  it('refuses 8 MiB + 1, the largest 32-bit length and an empty frame', () => {
    for (const length of [MAX_FRAME_BYTES + 1, 0xffffffff, 0]) {
      expect(
        isLanspreadError(
          thrown(() => frameLength(prefix(length), 'p')),
          'protocol',
        ),
      ).toBe(true)
    }
    expect(thrown(() => frameLength(prefix(MAX_FRAME_BYTES + 1), 'p')).message).toContain('a frame of 8388609 bytes is over the limit')
  })
})

describe('decodeFrameBody', () => {
  it('refuses 8 MiB of tiny JSON objects or values before parsing them, and takes an 8 MiB library of short summaries', () => {
    const fill = (head: string, item: string) =>
      Buffer.from(
        `${head}${Array(Math.floor((MAX_FRAME_BYTES - head.length - 2) / (item.length + 1)))
          .fill(item)
          .join(',')}]}`,
      )
    for (const [head, item] of [
      ['{"type":"GetChunk","x":[', '{}'],
      ['{"type":"LibrarySnapshot","games":[', '[]'],
      ['{"type":"LibraryDelta","removed":[', '1'],
    ]) {
      const error = thrown(() => decodeFrameBody(fill(head!, item!), 'peer-1'))
      expect(isLanspreadError(error, 'protocol'), head).toBe(true)
      expect(error.message, head).toMatch(
        /peer peer-1 sent an invalid frame: a frame of \d+ bytes holds \d+ objects\/arrays and \d+ values, over the \d+ and \d+ allowed/,
      )
    }
    // commas and braces inside strings are text, not values
    const quoted = `{"type":"Error","code":"x","message":"${'{,'.repeat(400)}"}`
    expect(decodeFrameBody(Buffer.from(quoted))).toMatchObject({type: 'Error'})
    const games = Array.from({length: 34_000}, (_, index) => summary(`g${index}`, {name: `g${index}`}))
    const frame = encodeFrame({...SAMPLES.LibrarySnapshot, games})
    expect(frame.length).toBeGreaterThan(MAX_FRAME_BYTES / 2)
    expect(decodeFrameBody(frame.subarray(4))).toMatchObject({type: 'LibrarySnapshot', games: expect.any(Array)})
  })

  it('refuses a body that is not UTF-8, or not JSON', () => {
    expect(thrown(() => decodeFrameBody(Uint8Array.of(0x7b, 0xff, 0x7d), 'p')).message).toContain('not valid UTF-8')
    expect(thrown(() => decodeFrameBody(Buffer.from('{"type": "Ping"'), 'p')).message).toContain('not JSON')
    expect(thrown(() => decodeFrameBody(Buffer.from('hello'), 'p')).message).toContain('not JSON')
  })
})
