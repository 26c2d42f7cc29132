import {describe, expect, it} from 'vitest'
import {formatBytes, gamesTable, peersTable, table} from '../../src/cli/render.js'
import type {GameSummary} from '../../src/library/summary.js'

describe('table', () => {
  it('pads each column to its widest cell, two spaces apart, with no trailing blanks', () => {
    expect(
      table(
        ['ID', 'NAME', 'NOTE'],
        [
          ['quake3', 'Quake III Arena', ''],
          ['doom', 'DOOM', 'x'],
        ],
      ),
    ).toBe(['ID      NAME             NOTE', 'quake3  Quake III Arena', 'doom    DOOM             x'].join('\n'))
  })

  it('is the header line alone for no rows', () => {
    expect(table(['A', 'B'], [])).toBe('A  B')
  })
})

describe('gamesTable', () => {
  const game = (id: string, extra: Partial<GameSummary> = {}): GameSummary => ({
    id,
    name: id.toUpperCase(),
    eti_version: '1.0',
    size: 3 * 1024 * 1024,
    downloaded: true,
    installed: false,
    manifest_hash: 'h',
    availability: 'ready',
    needs_recovery: false,
    ...extra,
  })

  it('shows one row per game, and says when a game needs recovery', () => {
    const text = gamesTable([game('a'), game('bb', {eti_version: null, downloaded: false, availability: 'local_only', needs_recovery: true})])
    expect(text.split('\n')).toEqual([
      'ID  NAME  VERSION  SIZE     DOWNLOADED  INSTALLED  AVAILABILITY',
      'a   A     1.0      3.0 MiB  yes         no         ready',
      'bb  BB    -        3.0 MiB  no          no         local_only, needs recovery',
    ])
  })

  it('says so when there are no games', () => {
    expect(gamesTable([])).toBe('No games.')
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 4, '5.0 TiB'],
    [3 * 1024 ** 5, '3072.0 TiB'],
  ])('%i bytes read %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe('peersTable', () => {
  it('shows LAST SEEN as a relative time ("3 s ago"), not the ISO text', () => {
    const now = Date.parse('2026-11-26T03:05:34.350Z')
    const peer = {
      peer_id: 'p1',
      hostname: 'lan-pc-07',
      addresses: ['192.168.1.20:4870'],
      proto_ver: 1,
      library_rev: 8,
      library_epoch: 'e',
      game_count: 31,
      last_seen: '2026-11-26T03:05:31.000Z',
    }
    const text = peersTable([peer, {...peer, peer_id: 'p2', last_seen: '2026-11-26T01:00:00.000Z'}], now)
    expect(text).toContain('3 s ago')
    expect(text).toContain('2 h 5 min ago')
    expect(text).not.toContain('2026-11-26T')
  })
})
