import type {QUICStream} from '@matrixai/quic'
import {once} from 'node:events'
import net from 'node:net'
import {PassThrough, Writable} from 'node:stream'
import type {TLSSocket} from 'node:tls'
import {TransformStream, WritableStream} from 'node:stream/web'
import {setImmediate as tick} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'
import {type ByteSource, FrameReader} from '../../src/protocol/frame-reader.js'
import {type ByteSink, FrameWriter} from '../../src/protocol/frame-writer.js'
import type {Message} from '../../src/protocol/messages.js'
import {SAMPLES} from '../helpers/protocol.js'
import {lanspreadRejection} from '../helpers/rejection.js'

// Compile-time: both transports' streams fit the reader and the writer as they are.
export const quicFits = (stream: QUICStream): [ByteSource, ByteSink] => [stream.readable, stream.writable]
export const tlsFits = (socket: TLSSocket): [ByteSource, ByteSink] => [socket, socket]

const ALL = Object.values(SAMPLES) as Message[]
const CHUNK = Buffer.from('chunk bytes')

const rejection = lanspreadRejection

/** Tracks whether a promise settled, without awaiting it. */
function settled(promise: Promise<unknown>): {readonly done: boolean} {
  const state = {done: false}
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  )
  return state
}

async function sendAll(writer: FrameWriter): Promise<void> {
  for (const message of ALL) await writer.send(message)
  await writer.send({type: 'ChunkHeader', hash: SAMPLES.ChunkHeader.hash, length: CHUNK.length})
  await writer.writeRaw(CHUNK)
  await writer.send(SAMPLES.Goodbye)
  await writer.end()
}

async function expectAll(reader: FrameReader): Promise<void> {
  for (const message of ALL) expect(await reader.next()).toEqual(message)
  const header = await reader.expect('ChunkHeader')
  expect(Buffer.from(await reader.readRaw(header.length)).equals(CHUNK)).toBe(true)
  expect(await reader.next()).toEqual(SAMPLES.Goodbye)
  expect(await reader.next()).toBeUndefined()
}

describe('FrameWriter', () => {
  it('round-trips every message and raw bytes through a Node stream', async () => {
    const pipe = new PassThrough()
    await Promise.all([sendAll(new FrameWriter(pipe)), expectAll(new FrameReader(pipe))])
  })

  it('round-trips through a WHATWG stream pair, as a QUIC stream has', async () => {
    const pipe = new TransformStream<Uint8Array, Uint8Array>()
    await Promise.all([sendAll(new FrameWriter(pipe.writable)), expectAll(new FrameReader(pipe.readable))])
  })

  it('round-trips over a real TCP socket on loopback (the socket TLS wraps)', async () => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const accepted = once(server, 'connection') as Promise<[net.Socket]>
      const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
      const [socket] = await accepted
      await Promise.all([sendAll(new FrameWriter(client)), expectAll(new FrameReader(socket))])
      socket.destroy()
      client.destroy()
    } finally {
      server.close()
    }
  })

  it('waits for a Node Writable to drain before a send resolves', async () => {
    const held: (() => void)[] = []
    const sink = new Writable({highWaterMark: 16, write: (_chunk, _encoding, done) => void held.push(() => done())})
    const sending = settled(new FrameWriter(sink).send(SAMPLES.Hello))
    await tick()
    expect(sending.done).toBe(false)
    for (const release of held.splice(0)) release()
    await tick()
    expect(sending.done).toBe(true)
  })

  it('waits for a WHATWG WritableStream to accept the chunk before a send resolves', async () => {
    const held: (() => void)[] = []
    const sink = new WritableStream<Uint8Array>({write: () => new Promise<void>((resolve) => held.push(resolve))}, {highWaterMark: 1})
    const sending = settled(new FrameWriter(sink).send(SAMPLES.Hello))
    await tick()
    expect(sending.done).toBe(false)
    for (const release of held.splice(0)) release()
    await tick()
    expect(sending.done).toBe(true)
  })

  it('rejects a send waiting for drain when the socket fails, with an io error naming the peer', async () => {
    const sink = new Writable({highWaterMark: 1, write: () => undefined})
    const sending = new FrameWriter(sink, {peer: 'peer-3'}).send(SAMPLES.Hello)
    await tick()
    sink.destroy(new Error('ECONNRESET'))
    const error = await rejection(sending)
    expect(error.code).toBe('io')
    expect(error.message).toBe('could not send to peer peer-3: ECONNRESET')
  })

  it('keeps a socket error from crashing the process and reports it on the next send', async () => {
    const sink = new Writable({write: (_chunk, _encoding, done) => done()})
    const writer = new FrameWriter(sink, {peer: 'peer-4'})
    sink.destroy(new Error('EPIPE'))
    await tick()
    expect((await rejection(writer.send(SAMPLES.Ping))).message).toBe('could not send to peer peer-4: EPIPE')
  })

  it('refuses to write after the end', async () => {
    const writer = new FrameWriter(new PassThrough().resume(), {peer: 'peer-5'})
    await writer.end()
    expect((await rejection(writer.send(SAMPLES.Ping))).code).toBe('io')
  })

  it('rejects a send to an aborted WHATWG stream', async () => {
    const pipe = new TransformStream<Uint8Array, Uint8Array>()
    await pipe.readable.cancel('gone')
    expect((await rejection(new FrameWriter(pipe.writable, {peer: 'peer-6'}).send(SAMPLES.Ping))).message).toContain('could not send to peer peer-6')
  })

  it('lets an invalid outgoing message fail as a protocol error, writing nothing', async () => {
    const pipe = new PassThrough()
    const error = await rejection(new FrameWriter(pipe).send({...SAMPLES.GetChunk, offset: -1}))
    expect(error.code).toBe('protocol')
    expect(pipe.readableLength).toBe(0)
  })
})
