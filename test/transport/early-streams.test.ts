import {describe, expect, it} from 'vitest'
import {echoHandler, startEndpoint} from '../helpers/quic-endpoints.js'

const echo = echoHandler('echo:')

describe('streams opened the moment a connection exists', () => {
  it('are served, whichever end opens them', async () => {
    const a = await startEndpoint()
    const b = await startEndpoint()
    a.endpoint.onStream(echo)
    b.endpoint.onStream(echo)
    const fromB: Promise<string>[] = []
    b.endpoint.on('connection', (connection) => {
      fromB.push(connection.requestBytes(Buffer.from('b'), {timeoutMs: 3_000, what: 'early from b'}).then((r) => Buffer.from(r).toString()))
    })
    for (let i = 0; i < 10; i++) {
      const connection = await a.endpoint.dial('127.0.0.1', b.port)
      expect(Buffer.from(await connection.requestBytes(Buffer.from('a'), {timeoutMs: 3_000, what: 'early from a'})).toString()).toBe('echo:a')
    }
    expect(await Promise.all(fromB)).toEqual(Array(10).fill('echo:b'))
  }, 60_000)
})
