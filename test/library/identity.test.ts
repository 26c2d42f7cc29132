import fs from 'node:fs/promises'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadOrCreatePeerIdentity} from '../../src/library/identity.js'
import {makeTempDir} from '../helpers/temp-library.js'

describe('peer identity', () => {
  it('creates a UUID once and returns the same one afterwards', async () => {
    const file = path.join(await makeTempDir(), 'state', 'peer.json')
    const first = await loadOrCreatePeerIdentity(file)
    expect(first.peer_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(await loadOrCreatePeerIdentity(file)).toEqual(first)
  })

  it('agrees on one identity when many callers race to create it', async () => {
    const file = path.join(await makeTempDir(), 'peer.json')
    const ids = await Promise.all(Array.from({length: 20}, () => loadOrCreatePeerIdentity(file)))
    expect(new Set(ids.map((i) => i.peer_id)).size).toBe(1)
    expect((await fs.readdir(path.dirname(file))).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('refuses a broken peer.json instead of replacing the identity', async () => {
    const file = path.join(await makeTempDir(), 'peer.json')
    await fs.writeFile(file, '{"peer_id":"not-a-uuid"}')
    await expect(loadOrCreatePeerIdentity(file)).rejects.toMatchObject({code: 'invalid_input', message: expect.stringContaining(file)})
    expect(await fs.readFile(file, 'utf8')).toBe('{"peer_id":"not-a-uuid"}')
  })
})
