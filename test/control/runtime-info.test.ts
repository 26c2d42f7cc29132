import {afterEach, describe, expect, it, vi} from 'vitest'
import {statusText} from '../../src/cli/status-text.js'
import {RuntimeInfoSchema, runtimeInfo, runtimeText} from '../../src/control/runtime-info.js'
import {StatusSchema} from '../../src/control/status.js'

afterEach(() => void vi.unstubAllEnvs())

describe('the runtime in status', () => {
  it('names this platform, Node and the BLAKE3 backend LANSPREAD_BLAKE3 picks', () => {
    vi.stubEnv('LANSPREAD_BLAKE3', 'wasm')
    expect(runtimeInfo()).toEqual({platform: process.platform, arch: process.arch, node: process.versions.node, blake3: 'wasm'})
    expect(RuntimeInfoSchema.parse(runtimeInfo())).toEqual(runtimeInfo())
  })

  it('reads as one line, in status text too', () => {
    const runtime = {platform: 'win32', arch: 'x64', node: '20.19.0', blake3: 'wasm' as const}
    expect(runtimeText(runtime)).toBe('win32 x64, Node 20.19.0, BLAKE3 wasm')
    const status = StatusSchema.parse({
      running: true,
      peer_id: 'me',
      host: '127.0.0.1',
      port: 4870,
      library_epoch: 'e',
      library_rev: 1,
      library_digest: 'd',
      started_at: '2026-12-06T20:00:00.000Z',
      uptime_ms: 1000,
      peers: [],
      downloads: [],
      uploads: [],
      served: [],
      traffic: {bytes_in: 0, bytes_out: 0, datagrams_in: 0, datagrams_out: 0},
      runtime,
      transports: ['portable'],
      portable_port: 4871,
      quic_missing: 'LANSPREAD_QUIC=0',
    })
    const lines = statusText(status).split('\n')
    expect(lines[1]).toBe('runtime: win32 x64, Node 20.19.0, BLAKE3 wasm')
    expect(lines[2]).toBe('transports: portable (HTTP/2 over TLS) on TCP 4871 (no QUIC: LANSPREAD_QUIC=0)')
    const both = statusText({...status, transports: ['quic', 'portable'], quic_missing: null}).split('\n')[2]
    expect(both).toBe('transports: QUIC on UDP 4870, portable (HTTP/2 over TLS) on TCP 4871')
  })

  it('a status document without its runtime is not understood', () => {
    expect(StatusSchema.shape.runtime.safeParse(undefined).success).toBe(false)
  })
})
