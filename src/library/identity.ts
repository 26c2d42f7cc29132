// peer.json: this peer's stable peer_id (a UUID), created once and never changed. Created
// through a hard link so two processes starting at once still agree on one identity.
import {randomUUID} from 'node:crypto'
import fs from 'node:fs/promises'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {tempPathBeside, writeNewFile} from '../fs/new-file.js'
import {type QuickFormat, readQuickJsonFile} from '../fs/read-json.js'
import type {PeerIdentity} from './schemas.js'
import path from 'node:path'

export type {PeerIdentity} from './schemas.js'

/** The form randomUUID writes (version 4, lower case); any other form goes to PeerIdentitySchema. */
const RANDOM_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** peer.json, read by every command: checked by hand, PeerIdentitySchema only when in doubt. */
export const peerIdentityFormat: QuickFormat<PeerIdentity> = {
  quick(json) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
    const {peer_id} = json as Record<string, unknown>
    return typeof peer_id === 'string' && RANDOM_UUID.test(peer_id) ? {...(json as PeerIdentity)} : undefined
  },
  schema: async () => (await import('./schemas.js')).PeerIdentitySchema,
}

export async function loadOrCreatePeerIdentity(peerPath: string): Promise<PeerIdentity> {
  const existing = await readIdentity(peerPath)
  if (existing) return existing
  await createIdentity(peerPath)
  const created = await readIdentity(peerPath)
  if (!created) throw new LanspreadError('internal', `${peerPath} vanished right after it was created`)
  return created
}

async function readIdentity(peerPath: string): Promise<PeerIdentity | undefined> {
  const result = await readQuickJsonFile(peerPath, peerIdentityFormat)
  if (result.status === 'ok') return result.value
  if (result.status === 'missing') return undefined
  throw new LanspreadError('invalid_input', `peer identity ${peerPath} is invalid: ${result.reason}`, {
    hint: 'restore it from a backup, or delete it to give this machine a new peer ID (other peers will see a new peer)',
  })
}

async function createIdentity(peerPath: string): Promise<void> {
  const temp = tempPathBeside(peerPath)
  try {
    await fs.mkdir(path.dirname(peerPath), {recursive: true})
    await writeNewFile(temp, JSON.stringify({peer_id: randomUUID()}) + '\n')
    // link() fails with EEXIST when another process got there first: theirs wins.
    await fs.link(temp, peerPath).catch((error: unknown) => {
      if (errnoCode(error) !== 'EEXIST') throw error
    })
    await fsyncPath(path.dirname(peerPath))
  } catch (error) {
    throw ioError('create', peerPath, error)
  } finally {
    await fs.rm(temp, {force: true})
  }
}
