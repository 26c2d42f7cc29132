import {describe, expect, it} from 'vitest'
import {MAX_GAMES_PER_MESSAGE, MAX_HANDSHAKE_GAMES} from '../../src/protocol/limits.js'
import {MESSAGE_TYPES, type Message} from '../../src/protocol/messages.js'
import {parseMessage} from '../../src/protocol/parse-message.js'
import {HASH_A, HASH_B, PEER_ID, SAMPLES, parseRefusal, summary} from '../helpers/protocol.js'

const refusal = parseRefusal

function withField(message: Message, field: string, value: unknown): unknown {
  return {...message, [field]: value}
}

describe('message schemas', () => {
  it('has a sample of every message type, and each survives JSON and validation unchanged', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...MESSAGE_TYPES].sort())
    for (const sample of Object.values(SAMPLES)) {
      expect(parseMessage(JSON.parse(JSON.stringify(sample)))).toEqual(sample)
    }
  })

  it('strips unknown fields instead of refusing them (a newer peer may add some)', () => {
    const parsed = parseMessage({...SAMPLES.Hello, shiny_new_field: {nested: true}})
    expect(parsed).toEqual(SAMPLES.Hello)
    expect('shiny_new_field' in parsed).toBe(false)
  })

  it('keeps features it does not know and refuses a malformed one', () => {
    expect(parseMessage({...SAMPLES.Hello, features: ['bulk-tls', 'zstd-v2']})).toMatchObject({features: ['bulk-tls', 'zstd-v2']})
    expect(refusal({...SAMPLES.Hello, features: ['Bad Feature']})).toContain('Hello.features[0]')
  })

  it('refuses a value that is not an object, a missing type and an unknown type, naming what it got', () => {
    expect(refusal([1, 2])).toContain('expected a JSON object, got an array')
    expect(refusal(null)).toContain('got null')
    expect(refusal('Hello')).toContain('got string')
    expect(refusal({peer_id: PEER_ID})).toContain('"type" is missing')
    expect(refusal({type: 42})).toContain('"type" is missing or not a string')
    expect(refusal({type: 'Teleport'})).toContain('unknown message type "Teleport"')
    expect(refusal({type: 'hello'})).toContain('unknown message type')
  })

  it('names the peer, the message type and the field of a wrong field type', () => {
    const message = refusal(withField(SAMPLES.Hello, 'library_rev', '7'))
    expect(message).toContain('peer peer-1 sent an invalid frame')
    expect(message).toContain('Hello.library_rev')
    expect(refusal(withField(SAMPLES.LibrarySnapshot, 'games', [summary('ok'), {...summary('x'), size: 'big'}]))).toContain('LibrarySnapshot.games[1].size')
    expect(refusal({type: 'Goodbye'})).toContain('Goodbye.peer_id')
  })

  it('quotes an unknown type harmlessly: control characters replaced, long names cut', () => {
    const message = refusal({type: `\u001b[31mred${'x'.repeat(500)}`})
    expect(message).not.toContain('\u001b')
    expect(message.length).toBeLessThan(250)
  })

  it('refuses a snapshot, a game list or a delta of more than 100,000 games', () => {
    expect(MAX_GAMES_PER_MESSAGE).toBe(100_000)
    const games = Array.from({length: MAX_GAMES_PER_MESSAGE + 1}, (_, index) => summary(`g${index}`))
    expect(refusal({...SAMPLES.LibrarySnapshot, games})).toContain('LibrarySnapshot.games')
    expect(refusal({type: 'GameList', games})).toContain('GameList.games')
    const half = games.slice(0, 50_001).map((game) => game.id)
    const rest = games.slice(50_001).map((game) => game.id)
    expect(refusal({...SAMPLES.LibraryDelta, added: [], updated: [], removed: [...half, ...rest]})).toContain('LibraryDelta.removed')
    expect(refusal({...SAMPLES.LibraryDelta, added: games.slice(0, 50_001), updated: [], removed: rest})).toContain('more than 100000 games in one delta')
  })

  it('accepts a snapshot of exactly 100,000 games', () => {
    const games = Array.from({length: MAX_GAMES_PER_MESSAGE}, (_, index) => summary(`g${index}`))
    expect(parseMessage({...SAMPLES.LibrarySnapshot, games})).toMatchObject({type: 'LibrarySnapshot'})
  })

  it('refuses a game listed twice in a snapshot or across the lists of a delta', () => {
    expect(refusal({...SAMPLES.LibrarySnapshot, games: [summary('a'), summary('a')]})).toContain('game "a" appears more than once')
    expect(refusal({...SAMPLES.LibraryDelta, added: [summary('a')], updated: [], removed: ['a']})).toContain('appears more than once')
  })

  it('takes the games of a handshake as a snapshot list: bounded, each game once, optional', () => {
    expect(refusal({...SAMPLES.Hello, games: [summary('a'), summary('a')]})).toContain('game "a" appears more than once')
    expect(refusal({...SAMPLES.HelloAck, games: [summary('a'), summary('a')]})).toContain('HelloAck')
    expect(refusal({...SAMPLES.HelloAck, games: [{id: 'a'}]})).toContain('HelloAck.games')
    const {games: _, ...withoutGames} = SAMPLES.Hello
    expect(parseMessage(withoutGames)).toEqual(withoutGames)
  })

  it("bounds the games of a handshake far below a snapshot (a stranger's Hello is held in memory)", () => {
    const games = (count: number) => Array.from({length: count}, (_, index) => summary(`g${index}`))
    expect(parseMessage({...SAMPLES.Hello, games: games(MAX_HANDSHAKE_GAMES)})).toMatchObject({type: 'Hello'})
    expect(refusal({...SAMPLES.Hello, games: games(MAX_HANDSHAKE_GAMES + 1)})).toContain(
      `Hello.games: Too big: expected array to have <=${MAX_HANDSHAKE_GAMES} items`,
    )
    expect(refusal({...SAMPLES.HelloAck, games: games(80_000)})).toContain('HelloAck.games: Too big')
  })

  it('refuses a delta that does not move forward', () => {
    expect(refusal({...SAMPLES.LibraryDelta, from_rev: 7, to_rev: 7})).toContain('LibraryDelta.to_rev: must be greater than from_rev')
    expect(refusal({...SAMPLES.LibraryDelta, from_rev: 8, to_rev: 7})).toContain('to_rev')
  })

  it('asks for a snapshot without `since` and for a delta with it; a half `since` is refused', () => {
    expect(parseMessage({type: 'GetLibrary'})).toEqual({type: 'GetLibrary'})
    expect(refusal({type: 'GetLibrary', since: {library_rev: 3}})).toContain('GetLibrary.since.library_epoch')
  })

  it('refuses hostile GetChunk values', () => {
    const chunk = SAMPLES.GetChunk
    const cases: [string, unknown][] = [
      ['offset', -1],
      ['offset', 1.5],
      ['offset', 2 ** 60],
      ['length', 0],
      ['length', 16 * 1024 * 1024 + 1],
      ['length', Number.MAX_SAFE_INTEGER],
      ['path', '../../etc/passwd'],
      ['path', 'baseq3/../../x'],
      ['path', '/etc/passwd'],
      ['path', 'baseq3/\0pak0.pk3'],
      ['path', ''],
      ['path', 'baseq3//pak0.pk3'],
      ['path', 'baseq3/'],
      ['path', './pak0.pk3'],
      ['path', 'local/settings.cfg'],
      ['path', 'local'],
      ['path', '.lanspread.json'],
      ['path', '.local.backup/x'],
      ['path', '.version.ini.tmp'],
      ['path', 'x'.repeat(4097)],
      ['manifest_hash', HASH_A.slice(1)],
      ['manifest_hash', HASH_A.toUpperCase()],
      ['manifest_hash', `${HASH_A}00`],
      ['id', '../quake3'],
      ['id', ''],
      ['id', 'a'.repeat(129)],
    ]
    for (const [field, value] of cases) {
      expect(refusal(withField(chunk, field, value)), `${field} = ${JSON.stringify(value)}`).toContain(`GetChunk.${field}`)
    }
  })

  it('accepts payload paths that only look odd: a deep local/ folder, dots inside names, spaces', () => {
    for (const path of ['data/local/x.cfg', '..hidden', 'a..b/c', 'My Game/Save 1.dat', 'version.ini', 'local.txt']) {
      expect(parseMessage({...SAMPLES.GetChunk, path})).toMatchObject({path})
    }
  })

  it('refuses a manifest whose chunk hashes do not match the file sizes', () => {
    const [big, empty] = SAMPLES.GameManifest.files
    const tooFew = {...SAMPLES.GameManifest, files: [{...big, chunks: [HASH_A, HASH_B]}]}
    expect(refusal(tooFew)).toContain('GameManifest.files[0].chunks: expected 3 chunk hashes for 10485760 bytes, got 2')
    expect(refusal({...SAMPLES.GameManifest, files: [{...empty, chunks: []}]})).toContain('expected 1 chunk hashes for 0 bytes')
  })

  it('refuses a manifest with a path twice, or a path that is both a file and a folder', () => {
    const [big] = SAMPLES.GameManifest.files
    expect(refusal({...SAMPLES.GameManifest, files: [big, big]})).toContain('a path appears more than once')
    const file = {path: 'baseq3', size: 1, hash: HASH_A, chunks: [HASH_A]}
    expect(refusal({...SAMPLES.GameManifest, files: [file, big]})).toContain('"baseq3" is listed both as a file and as a folder')
  })

  it('refuses manifests with hostile paths, sizes or chunk sizes', () => {
    const [big] = SAMPLES.GameManifest.files
    expect(refusal({...SAMPLES.GameManifest, files: [{...big, path: 'local/evil.dll'}]})).toContain('GameManifest.files[0].path')
    expect(refusal({...SAMPLES.GameManifest, files: [{...big, size: -1}]})).toContain('files[0].size')
    expect(refusal({...SAMPLES.GameManifest, chunk_size: 0})).toContain('GameManifest.chunk_size')
    expect(refusal({...SAMPLES.GameManifest, chunk_size: 32 * 1024 * 1024})).toContain('GameManifest.chunk_size')
    expect(refusal({...SAMPLES.GameManifest, files: [{...big, hash: 'zz'}]})).toContain('files[0].hash')
  })

  it('bounds handshake fields: ports, peer_id, epoch, hostname, features', () => {
    expect(refusal(withField(SAMPLES.Hello, 'listen_port', 0))).toContain('Hello.listen_port')
    expect(refusal(withField(SAMPLES.Hello, 'bulk_port', 65_536))).toContain('Hello.bulk_port')
    expect(refusal(withField(SAMPLES.Hello, 'peer_id', 'not-a-uuid'))).toContain('Hello.peer_id')
    expect(refusal(withField(SAMPLES.Hello, 'library_epoch', 'has space'))).toContain('Hello.library_epoch')
    expect(refusal(withField(SAMPLES.Hello, 'library_epoch', 'e'.repeat(65)))).toContain('Hello.library_epoch')
    expect(refusal(withField(SAMPLES.Hello, 'hostname', 'evil\nhost'))).toContain('Hello.hostname')
    expect(
      refusal(
        withField(
          SAMPLES.Hello,
          'features',
          Array.from({length: 33}, (_, index) => `f${index}`),
        ),
      ),
    ).toContain('Hello.features')
    expect(refusal(withField(SAMPLES.Hello, 'proto_ver', 0))).toContain('Hello.proto_ver')
    expect(refusal(withField(SAMPLES.Hello, 'library_rev', -1))).toContain('Hello.library_rev')
  })

  it('bounds an Error message and keeps a wire code it does not know', () => {
    expect(parseMessage({type: 'Error', code: 'from_the_future', message: ''})).toMatchObject({code: 'from_the_future'})
    expect(refusal({type: 'Error', code: 'x', message: 'm'.repeat(1025)})).toContain('Error.message')
    expect(refusal({type: 'Error', code: '', message: 'm'})).toContain('Error.code')
  })

  it('uses the library GameSummary schema for the games of a snapshot', () => {
    expect(refusal({...SAMPLES.LibrarySnapshot, games: [summary('a', {availability: 'teleporting' as 'ready'})]})).toContain('games[0].availability')
  })
})
