import {describe, expect, it} from 'vitest'
import {statusText} from '../../src/cli/status-text.js'
import {networkGamesTable} from '../../src/cli/render.js'
import type {Status} from '../../src/control/status.js'
import type {GameSummary} from '../../src/library/summary.js'
import {networkLibrary} from '../../src/sync/network-library.js'
import {summary} from '../helpers/protocol.js'

const holder = (peer_id: string, games: GameSummary[]) => ({peer_id, library: {list: () => games}})

describe('networkLibrary', () => {
  it('lists who has each game, at which version, and who is downloading it now', () => {
    const games = networkLibrary(
      [],
      [
        holder('seed', [summary('quake3', {eti_version: '1.32', downloaded: true, availability: 'ready'})]),
        holder('f2', [summary('quake3', {eti_version: null, downloaded: false, availability: 'downloading'})]),
        holder('f1', [summary('quake3', {eti_version: null, downloaded: false, availability: 'downloading'})]),
      ],
    )
    expect(games).toEqual([expect.objectContaining({id: 'quake3', peers: ['f1', 'f2', 'seed'], versions: {'1.32': ['seed']}, downloading: ['f1', 'f2']})])
    expect(networkGamesTable(games)).toMatch(/DOWNLOADING[\s\S]*quake3.*\b2\b/)
  })
})

describe('statusText', () => {
  it('shows each download in progress with its share and the bytes of each source', () => {
    const download = {
      id: 'quake3',
      total_bytes: 400,
      done_bytes: 100,
      reused_bytes: 0,
      fetched_bytes: 100,
      buffered_bytes: 0,
      sources: [
        {peer_id: 'seed', bytes: 60},
        {peer_id: 'f2', bytes: 40},
      ],
      rate: 50,
      eta_ms: 6000,
    }
    const text = statusText({...baseStatus(), downloads: [download]} as Status)
    expect(text).toMatch(/SHARE/)
    expect(text).toMatch(/quake3.*25%.*seed 60 B, f2 40 B/)
  })
})

function baseStatus(): Omit<Status, 'downloads'> {
  return {
    peer_id: 'me',
    host: '127.0.0.1',
    port: 4870,
    uptime_ms: 1000,
    started_at: '2026-12-06T20:00:00.000Z',
    library_rev: 1,
    peers: [],
    uploads: [],
    runtime: {platform: 'linux', arch: 'x64', node: '20.19.0', blake3: 'native'},
    transports: ['quic', 'portable'],
    portable_port: 4871,
    quic_missing: null,
  } as unknown as Omit<Status, 'downloads'>
}
