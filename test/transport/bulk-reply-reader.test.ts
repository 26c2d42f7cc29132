import {randomBytes} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {LanspreadError} from '../../src/errors.js'
import {encodeFrame} from '../../src/protocol/framing.js'
import {BulkReplyReader, REPLY_SCRATCH_BYTES} from '../../src/transport/bulk-reply-reader.js'
import {lanspreadRejection} from '../helpers/rejection.js'

const HASH = 'a'.repeat(64)
const header = (length: number) => encodeFrame({type: 'ChunkHeader', hash: HASH, length})

/**
 * Plays node's side of `onread`: asks where the next read goes, copies at most `readSize`
 * bytes there (a TLS record is ≤ 16 KiB; a read never exceeds the buffer it was given), reports it.
 */
class FakeSocket {
  private target: Uint8Array
  readonly targets: Uint8Array[] = []

  constructor(private readonly reader: BulkReplyReader) {
    this.target = reader.onread.buffer()
  }

  feed(bytes: Uint8Array, readSize = 16 * 1024): void {
    for (let at = 0; at < bytes.length;) {
      expect(this.target.length).toBeGreaterThan(0)
      const n = Math.min(readSize, this.target.length, bytes.length - at)
      this.target.set(bytes.subarray(at, at + n), 0)
      this.targets.push(this.target)
      this.reader.onread.callback(n)
      this.target = this.reader.onread.buffer()
      at += n
    }
  }
}

function setUp() {
  const reader = new BulkReplyReader('peer-1')
  const failures: LanspreadError[] = []
  reader.onFailure = (error) => failures.push(error)
  return {reader, socket: new FakeSocket(reader), failures}
}

const rejection = lanspreadRejection

describe('BulkReplyReader', () => {
  it('lands a chunk split over many small reads in the given buffer, byte-identical, header split too', async () => {
    const {reader, socket} = setUp()
    const data = randomBytes(1_000_003)
    const into = Buffer.alloc(2_000_000)
    const reply = reader.expect(data.length, into)
    socket.feed(Buffer.concat([header(data.length), data]), 7)
    const {message, bytes} = await reply
    expect(message).toEqual({type: 'ChunkHeader', hash: HASH, length: data.length})
    expect(bytes!.buffer).toBe(into.buffer)
    expect(bytes!.byteOffset).toBe(into.byteOffset)
    expect(Buffer.compare(bytes!, data)).toBe(0)
    // After the header, every read went straight into the chunk's buffer at the right place.
    const rawTargets = socket.targets.filter((t) => t.buffer === into.buffer)
    expect(rawTargets.length).toBeGreaterThan(100_000)
    expect(rawTargets.at(-1)!.byteOffset + rawTargets.at(-1)!.length).toBe(into.byteOffset + data.length)
  })

  it('reads replies one after another: the next header after a chunk goes back to the scratch, never into the last chunk', async () => {
    const {reader, socket} = setUp()
    const first = randomBytes(40_000)
    const second = randomBytes(5)
    const intoFirst = Buffer.alloc(first.length)
    const one = reader.expect(first.length, intoFirst)
    // The header and the chunk's first bytes arrive in one read (as a TLS record can carry them).
    socket.feed(Buffer.concat([header(first.length), first]), 16 * 1024)
    expect(Buffer.compare((await one).bytes!, first)).toBe(0)
    const snapshot = Buffer.from(intoFirst)
    const two = reader.expect(second.length)
    socket.feed(Buffer.concat([header(second.length), second]), 16 * 1024)
    const {bytes} = await two
    expect(Buffer.compare(bytes!, second)).toBe(0)
    expect(bytes!.buffer).not.toBe(intoFirst.buffer)
    expect(Buffer.compare(intoFirst, snapshot)).toBe(0)
  })

  it('uses a new buffer when the given one is too small, and completes a chunk that came whole with its header', async () => {
    const {reader, socket} = setUp()
    const small = Buffer.alloc(3)
    const data = randomBytes(10)
    const reply = reader.expect(data.length, small)
    socket.feed(Buffer.concat([header(data.length), data]))
    const {bytes} = await reply
    expect(bytes!.buffer).not.toBe(small.buffer)
    expect(Buffer.compare(bytes!, data)).toBe(0)
    const whole = reader.expect(1)
    socket.feed(Buffer.concat([header(1), Buffer.from([42])]))
    expect([...(await whole).bytes!]).toEqual([42])
  })

  it('hands an Error frame back as it is, and reads on', async () => {
    const {reader, socket} = setUp()
    const refused = reader.expect(10)
    socket.feed(encodeFrame({type: 'Error', code: 'not_found', message: 'no such file'}), 3)
    expect((await refused).message).toMatchObject({type: 'Error', code: 'not_found'})
    const data = randomBytes(10)
    const reply = reader.expect(10)
    socket.feed(Buffer.concat([header(10), data]))
    expect(Buffer.compare((await reply).bytes!, data)).toBe(0)
  })

  it('fails on a header whose length is not the one asked for, before any byte lands', async () => {
    const {reader, socket, failures} = setUp()
    const into = Buffer.alloc(5)
    const reply = reader.expect(5, into)
    socket.feed(Buffer.concat([header(3), Buffer.from([1, 2, 3])]))
    const error = await rejection(reply)
    expect(error.code).toBe('protocol')
    expect(error.message).toContain('a ChunkHeader of 3 bytes answers a GetChunk of 5')
    expect(failures).toEqual([error])
    expect([...into]).toEqual([0, 0, 0, 0, 0])
    await expect(reader.expect(1)).rejects.toBe(error)
  })

  it('fails on bytes nobody asked for, on garbage that fills its scratch, and on a frame too large for it', async () => {
    const unsolicited = setUp()
    unsolicited.socket.feed(header(4))
    expect(unsolicited.failures[0]?.message).toContain('a ChunkHeader nobody asked for')

    const garbage = setUp()
    const pending = garbage.reader.expect(4)
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32BE(REPLY_SCRATCH_BYTES) // a frame one byte past the scratch
    garbage.socket.feed(prefix)
    expect((await rejection(pending)).message).toContain(`a frame of ${REPLY_SCRATCH_BYTES} bytes on a bulk connection`)

    const notJson = setUp()
    const waiting = notJson.reader.expect(4)
    const frame = Buffer.alloc(10, 0x41)
    frame.writeUInt32BE(6)
    notJson.socket.feed(frame)
    expect((await rejection(waiting)).code).toBe('protocol')
  })

  it('fails a reply when the stream ends before it or inside its chunk', async () => {
    const before = setUp()
    const waiting = before.reader.expect(10)
    before.reader.ended()
    expect((await rejection(waiting)).message).toContain('closed the bulk TLS connection before answering')

    const inside = setUp()
    const reply = inside.reader.expect(10)
    inside.socket.feed(Buffer.concat([header(10), Buffer.alloc(4)]))
    inside.reader.ended()
    expect((await rejection(reply)).message).toContain('the stream ended inside chunk data (4 of 10 bytes)')
  })
})
