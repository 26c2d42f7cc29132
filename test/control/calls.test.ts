// Every control request's args and result survive the trip through JSON and their schemas
// unchanged, byte for byte (key order included): the document a command prints through serve
// is the one serve built. A result of another shape is a clear `protocol` error.
import {describe, expect, it} from 'vitest'
import {type CallArgs, type CallResult, type ControlCall, CONTROL_CALLS, parseArgs, parseResult} from '../../src/control/calls.js'
import {LanspreadError} from '../../src/errors.js'

const peer = {
  peer_id: '412d06c7-1c2d-4e6f-8b7a-1c2d3e4f5a6b',
  hostname: 'lan-pc-07',
  addresses: ['192.168.1.20:4870'],
  proto_ver: 1,
  library_rev: 8,
  library_epoch: '0123456789abcdef0123456789abcdef',
  game_count: 31,
  last_seen: '2026-11-26T01:00:02.114Z',
}
const game = {
  id: 'quake3',
  name: 'Quake III Arena',
  eti_version: '1.32',
  size: 1024,
  downloaded: true,
  installed: false,
  manifest_hash: 'abc',
  availability: 'ready' as const,
  needs_recovery: false,
}
const position = {library_epoch: '0123456789abcdef0123456789abcdef', library_rev: 12, library_digest: 'digest'}
const progress = {
  id: 'quake3',
  total_bytes: 100,
  done_bytes: 40,
  reused_bytes: 10,
  fetched_bytes: 30,
  buffered_bytes: 4,
  sources: [{peer_id: peer.peer_id, bytes: 30}],
  rate: 1000,
  eta_ms: 60,
}
const recovery = {
  id: 'doom',
  intent: 'Installing' as const,
  observed: {local: false, installing: 'marked' as const, backup: 'absent' as const, scratch: [], not_folders: []},
  action: 'rolled_back' as const,
  steps: ['delete_installing' as const, 'clear_intent' as const],
  description: 'delete .local.installing; clear the intent',
}

/** A request of each command and a document of its result, in the order serve builds it. */
const SAMPLES: {[C in ControlCall]: {args: CallArgs<C>; result: CallResult<C>}} = {
  status: {
    args: {},
    result: {
      running: true,
      peer_id: peer.peer_id,
      host: '0.0.0.0',
      port: 4870,
      ...position,
      started_at: '2026-11-26T01:00:02.114Z',
      uptime_ms: 5000,
      peers: [peer],
      downloads: [progress],
      uploads: [{id: 'doom', peer_id: peer.peer_id, bytes: 10, started_at: '2026-11-26T01:00:03.000Z', rate: 5}],
      served: [{id: 'doom', chunks: 1}],
      traffic: {bytes_in: 1, bytes_out: 2, datagrams_in: 3, datagrams_out: 4},
      runtime: {platform: 'win32', arch: 'x64', node: '20.19.0', blake3: 'wasm'},
      transports: ['quic', 'portable'],
      portable_port: 4871,
      quic_missing: null,
    },
  },
  peers: {args: {}, result: {peers: [peer, {...peer, hostname: null, library_rev: null, library_epoch: null}]}},
  forget: {args: {peer_id: peer.peer_id}, result: {peer_id: peer.peer_id, forgotten: true}},
  library: {args: {id: 'quake3'}, result: {...position, games: [game, {...game, id: 'doom', eti_version: null, needs_recovery: true}]}},
  library_peers: {
    args: {},
    result: {games: [{id: 'quake3', name: 'Quake III Arena', peers: [peer.peer_id], versions: {'1.32': [peer.peer_id]}, downloading: [], local: game}]},
  },
  scan: {
    args: {full: true},
    result: {
      ...position,
      games: [game],
      scan: {scanned: 2, reused: 1, rescanned: ['quake3'], ignored: ['notes.txt'], skipped: [{id: 'doom', reason: 'permission denied'}], elapsed_ms: 3},
    },
  },
  install: {
    args: {id: 'quake3', update: true, clean: false, job: 'job-1'},
    result: {id: 'quake3', action: 'updated', archives: ['a.eti'], kept: ['saves/'], kept_rule: 'record', recovered: recovery},
  },
  uninstall: {args: {id: 'quake3', purge: false}, result: {id: 'quake3', action: 'uninstalled', kept: ['cfg.ini'], kept_rule: 'no_record'}},
  recover: {
    args: {ids: ['doom'], dry_run: true},
    result: {games: [recovery, {id: 'quake3', action: 'busy', code: 'busy', description: 'quake3 is busy (wait)'}]},
  },
  fetch: {
    args: {ids: ['quake3'], from: peer.peer_id, install: true, bulk: false, job: 'job-2'},
    result: {
      games: [
        {
          id: 'quake3',
          eti_version: '1.32',
          manifest_hash: 'abc',
          bytes: 90,
          reused_bytes: 10,
          elapsed_ms: 1200,
          sources: [{peer_id: peer.peer_id, bytes: 90, kind: 'seed', transport: 'quic', fallback_reason: 'refused'}],
          retried_chunks: 0,
          installed: true,
          install: 'updated',
          kept: [],
        },
      ],
    },
  },
  cancel: {args: {job: 'job-2'}, result: {job: 'job-2', outcome: 'cancelling'}},
}

const commands = Object.keys(CONTROL_CALLS) as ControlCall[]
const overJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

describe('the control calls', () => {
  it.each(commands)('%s: args and result round-trip through JSON and their schemas, byte for byte', (command) => {
    const {args, result} = SAMPLES[command]
    expect(parseArgs(command, overJson(args))).toEqual(args)
    expect(JSON.stringify(parseResult(command, overJson(result)))).toBe(JSON.stringify(result))
  })

  it.each(commands)('%s: a result of another shape is a protocol error that names the request and the field', (command) => {
    const error = (() => {
      try {
        parseResult(command, {unexpected: true})
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(LanspreadError)
    expect(error).toMatchObject({code: 'protocol', message: expect.stringMatching(new RegExp(`^serve answered ${command} with a document .*: \\w+`))})
  })

  it('applies the defaults serve relies on, and refuses args of the wrong type as a usage error', () => {
    expect(parseArgs('recover', {})).toEqual({ids: []})
    expect(() => parseArgs('install', {id: 5})).toThrow(
      expect.objectContaining({code: 'usage', message: expect.stringContaining('invalid arguments for install: id:')}),
    )
    expect(() => parseArgs('fetch', {ids: []})).toThrow(expect.objectContaining({code: 'usage'}))
    expect(() => parseArgs('cancel', {job: 'not a token!'})).toThrow(expect.objectContaining({code: 'usage'}))
  })
})
