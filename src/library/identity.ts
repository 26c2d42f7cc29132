// peer.json: this peer's stable peer_id (a UUID), created once and never changed. Created
// through a hard link so two processes starting at once still agree on one identity.
import {randomUUID} from 'node:crypto'
import fs from 'node:fs/promises'
import {z} from 'zod'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {fsyncPath} from '../fs/durable.js'
import {tempPathBeside, writeNewFile} from '../fs/new-file.js'
import {readJsonFile} from '../fs/read-json.js'
import path from 'node:path'

export const PeerIdentitySchema = z.looseObject({peer_id: z.uuid()})
export type PeerIdentity = z.infer<typeof PeerIdentitySchema>

export async function loadOrCreatePeerIdentity(peerPath: string): Promise<PeerIdentity> {
  const existing = await readIdentity(peerPath)
  if (existing) return existing
  await createIdentity(peerPath)
  const created = await readIdentity(peerPath)
  if (!created) throw new LanspreadError('internal', `${peerPath} vanished right after it was created`)
  return created
}

async function readIdentity(peerPath: string): Promise<PeerIdentity | undefined> {
  const result = await readJsonFile(peerPath, PeerIdentitySchema)
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
