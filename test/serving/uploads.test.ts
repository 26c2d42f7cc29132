import {describe, expect, it} from 'vitest'
import {UploadLog} from '../../src/serving/uploads.js'

describe('UploadLog', () => {
  it('logs one line when an upload of a game to a peer starts and one when it ends, with its bytes, never per chunk', async () => {
    const lines: string[] = []
    const uploads = new UploadLog((_level, message) => lines.push(message), 200)
    for (let i = 0; i < 10; i++) uploads.served('quake3', 'peer-a', 4 * 1024 * 1024)
    uploads.served('doom', 'peer-a', 100)
    uploads.served('quake3', 'peer-b', 7)
    expect(lines).toEqual(['upload of quake3 to peer peer-a started', 'upload of doom to peer peer-a started', 'upload of quake3 to peer peer-b started'])
    expect(uploads.list().map(({id, peer_id, bytes}) => ({id, peer_id, bytes}))).toEqual([
      {id: 'quake3', peer_id: 'peer-a', bytes: 41_943_040},
      {id: 'doom', peer_id: 'peer-a', bytes: 100},
      {id: 'quake3', peer_id: 'peer-b', bytes: 7},
    ])
    for (let i = 0; i < 100 && uploads.list().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(uploads.list()).toEqual([])
    expect(lines).toHaveLength(6)
    expect(lines).toContainEqual(expect.stringMatching(/^upload of quake3 to peer peer-a ended: 41943040 bytes in \d+\.\d s$/))
    expect(lines.filter((line) => !line.includes('undefined'))).toHaveLength(6)
  })

  it('ends every upload when serve stops', () => {
    const lines: string[] = []
    const uploads = new UploadLog((_level, message) => lines.push(message))
    uploads.served('quake3', 'peer-a', 10)
    uploads.stop()
    expect(lines.at(-1)).toMatch(/^upload of quake3 to peer peer-a ended: 10 bytes/)
    expect(uploads.list()).toEqual([])
  })

  it('counts the distinct chunks of each game handed out to any peer, and forgets a game whose uploads ended', async () => {
    const uploads = new UploadLog(() => {}, 200)
    uploads.served('quake3', 'peer-a', 4, 'a.eti\u00000')
    uploads.served('quake3', 'peer-b', 4, 'a.eti\u00000')
    uploads.served('quake3', 'peer-b', 4, 'a.eti\u00004')
    uploads.served('doom', 'peer-a', 4, 'd.eti\u00000')
    expect(uploads.servedGames()).toEqual([
      {id: 'quake3', chunks: 2},
      {id: 'doom', chunks: 1},
    ])
    for (let i = 0; i < 100 && uploads.list().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(uploads.servedGames()).toEqual([])
  })
})
