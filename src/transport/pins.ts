// Peer pins (trust on first use): each peer_id is bound to the SHA-256 of the certificate it
// first came with, one file per peer in <state>/pins/, so a reinstalled peer is one `forget` away.
// Peer_ids are free to make, so the pins are bounded: past MAX_PINS the least useful one goes.
import fs from 'node:fs/promises'
import path from 'node:path'
import {z} from 'zod'
import {LanspreadError, errnoCode, ioError} from '../errors.js'
import {writeJsonDurably} from '../fs/atomic-write.js'
import {fsyncPath} from '../fs/durable.js'
import {readJsonFile} from '../fs/read-json.js'
import {type PinUse, pinToEvict} from './pin-eviction.js'

export const PINS_DIR_NAME = 'pins'

const PeerIdSchema = z.uuid()
const FingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/)

export const PinSchema = z.object({
  peer_id: PeerIdSchema,
  fingerprint: FingerprintSchema,
  pinned_at: z.iso.datetime(),
  /** When the peer first came back with this certificate: a pin in use, evicted last. */
  confirmed_at: z.iso.datetime().optional(),
})
export type Pin = z.infer<typeof PinSchema>

/** 'new': never seen; 'match': the pinned certificate; 'mismatch': another certificate (refuse). */
export type PinVerdict = 'new' | 'match' | 'mismatch'

export function pinsDirFor(stateDir: string): string {
  return path.join(stateDir, PINS_DIR_NAME)
}

/** Pins kept at most: a LAN has far fewer peers; a flood of fresh peer_ids has far more. */
export const MAX_PINS = 1024

export interface PinStoreComponents {
  now?: () => Date
  maxPins?: number
  /** Whether a peer is connected now: its pin is never evicted. */
  connected?: (peerId: string) => boolean
}

export class PinStore {
  private readonly now: () => Date
  // One admit at a time: two connections claiming one new peer_id at once must not both pin.
  private queue: Promise<unknown> = Promise.resolve()
  private readonly maxPins: number
  private readonly connected: (peerId: string) => boolean
  /** How each pin was used, loaded from the folder at the first admit and kept up to date after. */
  private uses: Map<string, PinUse> | undefined

  constructor(
    private readonly dir: string,
    components: PinStoreComponents = {},
  ) {
    this.now = components.now ?? (() => new Date())
    this.maxPins = components.maxPins ?? MAX_PINS
    this.connected = components.connected ?? (() => false)
  }

  async get(peerId: string): Promise<Pin | undefined> {
    const file = this.fileOf(peerId)
    const result = await readJsonFile(file, PinSchema)
    if (result.status === 'missing') return undefined
    if (result.status === 'invalid' || result.value.peer_id !== peerId) {
      const reason = result.status === 'invalid' ? result.reason : `it names peer ${result.value.peer_id}`
      throw new LanspreadError('invalid_input', `peer pin ${file} is invalid: ${reason}`, {
        hint: `run \`lanspread peers --forget ${peerId}\` (or delete that file) to accept the certificate this peer shows next`,
      })
    }
    return result.value
  }

  async check(peerId: string, fingerprint: string): Promise<PinVerdict> {
    const pin = await this.get(peerId)
    if (!pin) return 'new'
    return pin.fingerprint === normalise(fingerprint) ? 'match' : 'mismatch'
  }

  async pin(peerId: string, fingerprint: string): Promise<void> {
    const value: Pin = {peer_id: peerId, fingerprint: normalise(fingerprint), pinned_at: this.now().toISOString()}
    const file = this.fileOf(peerId)
    try {
      await fs.mkdir(this.dir, {recursive: true})
    } catch (error) {
      throw ioError('create', this.dir, error)
    }
    await writeJsonDurably(file, PinSchema.parse(value))
  }

  /**
   * check, then pin when the peer is new (making room first), or mark the pin used when it
   * matches: the one call the runtime makes after Hello.
   */
  admit(peerId: string, fingerprint: string): Promise<PinVerdict> {
    const run = this.queue.then(async () => {
      const verdict = await this.check(peerId, fingerprint)
      if (verdict === 'new') {
        await this.makeRoom()
        await this.pin(peerId, fingerprint)
        this.uses?.set(peerId, {lastSeen: this.now().getTime(), confirmed: false})
      }
      if (verdict === 'match') await this.used(peerId)
      return verdict
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Removes a pin; true when there was one. */
  async forget(peerId: string): Promise<boolean> {
    const file = this.fileOf(peerId)
    try {
      await fs.unlink(file)
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false
      throw ioError('remove', file, error)
    }
    this.uses?.delete(peerId)
    await fsyncPath(this.dir).catch((error: unknown) => {
      throw ioError('sync', this.dir, error)
    })
    return true
  }

  async list(): Promise<Pin[]> {
    const pins = await Promise.all((await this.pinnedIds()).map((id) => this.get(id)))
    return pins.filter((p): p is Pin => p !== undefined).sort((a, b) => (a.peer_id < b.peer_id ? -1 : 1))
  }

  /** The peer_ids of the pin files in the folder. */
  private async pinnedIds(): Promise<string[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.dir)
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return []
      throw ioError('list', this.dir, error)
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length))
    return ids.filter((id) => PeerIdSchema.safeParse(id).success)
  }

  /** Forgets the least useful pins of peers not connected until a new one fits. */
  private async makeRoom(): Promise<void> {
    const uses = await this.loadUses()
    while (uses.size >= this.maxPins) {
      const victim = pinToEvict(uses, this.connected)
      if (victim === undefined) return // every pinned peer is connected: keep them all
      await this.forget(victim)
      uses.delete(victim)
    }
  }

  /** A peer came back with its pinned certificate: its pin is confirmed (once, durably) and seen now. */
  private async used(peerId: string): Promise<void> {
    const uses = await this.loadUses()
    const use = uses.get(peerId)
    if (use?.confirmed !== true) {
      const pin = await this.get(peerId)
      if (pin) await writeJsonDurably(this.fileOf(peerId), PinSchema.parse({...pin, confirmed_at: this.now().toISOString()}))
    }
    uses.set(peerId, {lastSeen: this.now().getTime(), confirmed: true})
  }

  private async loadUses(): Promise<Map<string, PinUse>> {
    if (this.uses) return this.uses
    const uses = new Map<string, PinUse>()
    for (const peerId of await this.pinnedIds()) {
      // A broken pin file is reported when its peer comes (get), not here: it is never evicted.
      const pin = await this.get(peerId).catch(() => undefined)
      if (pin) uses.set(peerId, {lastSeen: Date.parse(pin.confirmed_at ?? pin.pinned_at), confirmed: pin.confirmed_at !== undefined})
    }
    this.uses = uses
    return uses
  }

  /** The file of one pin; a peer_id comes off the wire, so it must be a UUID before it names a path. */
  private fileOf(peerId: string): string {
    if (!PeerIdSchema.safeParse(peerId).success) {
      throw new LanspreadError('invalid_input', `"${peerId.slice(0, 80)}" is not a peer ID (a UUID)`, {
        hint: 'peer IDs are the UUIDs shown by `lanspread peers`',
      })
    }
    return path.join(this.dir, `${peerId}.json`)
  }
}

function normalise(fingerprint: string): string {
  const hex = fingerprint.toLowerCase().replaceAll(':', '')
  if (!FingerprintSchema.safeParse(hex).success) {
    throw new LanspreadError('invalid_input', `"${fingerprint.slice(0, 100)}" is not a SHA-256 certificate fingerprint`)
  }
  return hex
}
