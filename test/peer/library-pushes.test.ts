// Our library's changes pushed to each peer: a push that fails is tried again later, without
// waiting for our next revision (static peers have no mDNS announcement to fall back on).
import {describe, expect, it} from 'vitest'
import {LibraryPushes} from '../../src/peer/library-sync/pushes.js'
import {DEFAULT_RUNTIME_SETTINGS} from '../../src/peer/settings.js'
import type {Message} from '../../src/protocol/messages.js'
import {RevisionHistory} from '../../src/sync/revision-history.js'
import type {PeerConnection} from '../../src/transport/endpoint.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A library at `rev`, its history reaching back to rev 1. */
function libraryView() {
  let rev = 1
  const history = new RevisionHistory()
  return {
    view: {position: () => ({library_epoch: 'e', library_rev: rev, library_digest: `d${rev}`}), games: () => [], history},
    bump(): void {
      history.record({from_rev: rev, to_rev: rev + 1, added: [], updated: [], removed: []})
      rev++
    },
  }
}

/** A connection whose first `failures` requests fail as a reset stream does. */
function flakyConnection(failures: number): {connection: PeerConnection; attempts: () => number} {
  let attempts = 0
  const connection = {
    request: async () => {
      attempts++
      if (attempts <= failures) throw new Error('the stream was reset')
    },
  } as unknown as PeerConnection
  return {connection, attempts: () => attempts}
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10)
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

function setup(failures: number, connectedAfter = 0, backoffMs = 20) {
  const library = libraryView()
  const {connection, attempts} = flakyConnection(failures)
  let lookups = 0
  const sent: Message['type'][] = []
  const logs: string[] = []
  const pushes = new LibraryPushes({
    library: library.view,
    settings: {...DEFAULT_RUNTIME_SETTINGS, redialMinMs: backoffMs, redialMaxMs: 4 * backoffMs},
    log: (level, message) => logs.push(`${level} ${message}`),
    connectionOf: () => (++lookups > connectedAfter ? connection : undefined),
    sent: (_peer, type) => sent.push(type),
  })
  pushes.admitted('p')
  return {library, pushes, sent, logs, attempts}
}

describe('LibraryPushes', () => {
  it('tries a failed push again after a backoff, with no new revision to prompt it', async () => {
    const {library, pushes, sent, logs, attempts} = setup(2)
    library.bump()
    pushes.pushAll()
    await eventually(() => sent.length === 1, 'the push that went through')
    expect(sent).toEqual(['LibraryDelta'])
    expect(attempts()).toBe(3)
    expect(logs.filter((line) => line.includes('could not send our library change to peer p'))).toHaveLength(2)
    pushes.forget('p')
  })

  it('tries again when the peer has no open connection at the moment of the push (one being replaced)', async () => {
    const {library, pushes, sent, attempts} = setup(0, 2)
    library.bump()
    pushes.pushAll()
    await eventually(() => sent.length === 1, 'the push once connected')
    expect(attempts()).toBe(1)
    pushes.forget('p')
  })

  it('sends a peer admitted again the revision it missed, and nothing when it has ours', async () => {
    const {library, pushes, sent, attempts} = setup(0, 1, 60_000)
    library.bump()
    pushes.pushAll() // no connection: a retry waits its backoff (a minute here)
    pushes.admitted('p') // a new connection: pushed at once
    await eventually(() => sent.length === 1, 'the push on admission')
    pushes.admitted('p')
    await sleep(150)
    expect(attempts()).toBe(1)
    pushes.forget('p')
  })

  it('stops trying for a peer it forgot', async () => {
    const {library, pushes, sent, attempts} = setup(Infinity)
    library.bump()
    pushes.pushAll()
    await eventually(() => attempts() === 1, 'the first attempt')
    pushes.forget('p')
    await sleep(200)
    expect(attempts()).toBe(1)
    expect(sent).toEqual([])
  })

  it('pushes nothing when the peer already has our revision', async () => {
    const {pushes, attempts} = setup(0)
    pushes.pushAll()
    await sleep(50)
    expect(attempts()).toBe(0)
  })
})
