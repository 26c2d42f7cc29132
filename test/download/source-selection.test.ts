import {describe, expect, it} from 'vitest'
import {compareVersions, preferredCandidates, selectSources} from '../../src/download/source-selection.js'
import {FakeSource, fakeGame} from '../helpers/fake-sources.js'

const files = {'version.ini': '1\n', 'a.eti': 'aaaa'}

describe('source selection', () => {
  it('orders versions numerically, a missing version oldest', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0)
    expect(compareVersions(null, '0')).toBeLessThan(0)
    expect(compareVersions('2', '2')).toBe(0)
  })

  it('takes the newest eti_version, then the manifest_hash most peers offer', () => {
    const v1 = fakeGame('g', files, 1024)
    const v2a = fakeGame('g', {...files, 'b.eti': 'b'}, 1024)
    const v2b = fakeGame('g', {...files, 'c.eti': 'cc'}, 1024)
    const candidates = [
      new FakeSource('old', v1).candidate({eti_version: '1'}),
      new FakeSource('a1', v2a).candidate({eti_version: '2'}),
      new FakeSource('b1', v2b).candidate({eti_version: '2'}),
      new FakeSource('b2', v2b).candidate({eti_version: '2'}),
      new FakeSource('busy', v2b).candidate({eti_version: '3', availability: 'downloading'}),
    ]
    expect(preferredCandidates('g', candidates).map((c) => c.source.peerId)).toEqual(['b1', 'b2'])
  })

  it('refuses a game no peer offers ready', () => {
    expect(() => preferredCandidates('g', [])).toThrow(expect.objectContaining({code: 'not_found'}))
  })

  it('leaves out a source whose GetGame answers another content_hash than most', async () => {
    const game = fakeGame('g', files, 1024)
    const changed = fakeGame('g', {...files, 'a.eti': 'bbbb'}, 1024) // same paths and sizes: same manifest_hash
    expect(changed.manifest.manifest_hash).toBe(game.manifest.manifest_hash)
    const selected = await selectSources('g', [
      new FakeSource('p1', game).candidate(),
      new FakeSource('odd', changed).candidate(),
      new FakeSource('p2', game).candidate(),
    ])
    expect(selected.sources.map((s) => s.peerId)).toEqual(['p1', 'p2'])
    expect(selected.manifest.content_hash).toBe(game.manifest.content_hash)
    expect(selected.rejected).toEqual([{peer_id: 'odd', reason: expect.stringContaining('other content')}])
  })

  it('leaves out a manifest that does not check out against its own hashes or the announced summary', async () => {
    const game = fakeGame('g', files, 1024)
    const forged = new FakeSource('forged', {
      ...game,
      manifest: {...game.manifest, files: game.manifest.files.map((f) => ({...f, hash: game.manifest.files[0]!.hash}))},
    })
    const other = new FakeSource('other', fakeGame('g', {...files, 'z.eti': 'z'}, 1024))
    const selected = await selectSources('g', [
      forged.candidate(),
      other.candidate({manifest_hash: game.manifest.manifest_hash}),
      new FakeSource('p1', game).candidate(),
    ])
    expect(selected.sources.map((s) => s.peerId)).toEqual(['p1'])
    expect(selected.rejected.map((r) => r.peer_id).sort()).toEqual(['forged', 'other'])
  })

  it('says why when no source gives a usable manifest', async () => {
    const game = fakeGame('g', files, 1024)
    const broken = new FakeSource('broken', game)
    broken.getGame = async () => {
      throw new Error('connection reset')
    }
    await expect(selectSources('g', [broken.candidate()])).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('broken: connection reset'),
    })
  })
})
