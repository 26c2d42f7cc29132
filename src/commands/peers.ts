import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {peersTable} from '../cli/render.js'
import {requestServe, serveNotRunning} from '../control/attach.js'
import type {LanspreadPaths} from '../config.js'
import {mdnsAllowed} from '../discovery/mdns-switch.js'
import {LanspreadError} from '../errors.js'
import type {PeerInfo} from '../peer/peer-table.js'
import {PinStore, pinsDirFor} from '../transport/pins.js'

type PeersDocument = {peers: PeerInfo[]; source: 'serve' | 'mdns'}

export default class Peers extends LanspreadCommand {
  static override summary = 'List the peers on the LAN (those the running serve knows, or those answering mDNS), or forget the certificate pinned for one.'
  static override description =
    'With `lanspread serve` running: the peers it knows; --wait S waits up to S seconds for --expect N of them. ' +
    'Without serve: listens to mDNS for --wait seconds (default 3) and lists every peer that answered. ' +
    'With --expect N it exits with code 9 (no peers) when fewer than N were found: the smoke test of a LAN before doors open. ' +
    'Each peer_id is pinned to the certificate it first came with; a peer that was really reinstalled (new certificate, same peer_id) is refused until you forget its pin with --forget.'

  static override examples = [
    '<%= config.bin %> peers',
    '<%= config.bin %> peers --json',
    '<%= config.bin %> peers --wait 10 --expect 9',
    '<%= config.bin %> peers --forget 3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b',
  ]

  static override flags = {
    forget: Flags.string({description: 'remove the certificate pin of this peer_id, so its next certificate is accepted'}),
    wait: Flags.integer({description: 'seconds to wait for peers (default: 3 without serve, or with --expect; else none)', min: 0}),
    expect: Flags.integer({description: 'fail (exit 9) unless at least this many peers are found', min: 1}),
    mdns: Flags.boolean({description: 'without serve: browse mDNS (--no-mdns: fail as before)', default: true, allowNo: true}),
    interface: Flags.string({description: 'without serve: browse on this interface NAME or IPv4 ADDRESS (repeatable)', multiple: true}),
  }

  async run(): Promise<PeersDocument | {peer_id: string; forgotten: boolean}> {
    const {flags} = await this.parse(Peers)
    const paths = this.resolvePaths(flags)
    if (flags.forget !== undefined) {
      const viaServe = await requestServe<{peer_id: string; forgotten: boolean}>(paths, 'forget', {peer_id: flags.forget})
      const result = viaServe?.result ?? {peer_id: flags.forget, forgotten: await new PinStore(pinsDirFor(paths.stateDir)).forget(flags.forget)}
      if (!this.jsonEnabled())
        this.log(result.forgotten ? `forgot the pinned certificate of ${result.peer_id}` : `no certificate was pinned for ${result.peer_id}`)
      return result
    }
    const expect = flags.expect
    // --wait is in seconds on both paths (serve's peer table, or an mDNS browse).
    const waitS = flags.wait ?? (expect === undefined ? undefined : 3) ?? 0
    const document =
      (await this.fromServe(paths, waitS * 1000, expect)) ?? (await this.fromMdns(paths, flags.wait ?? 3, expect, flags.mdns, flags.interface ?? []))
    if (expect !== undefined && document.peers.length < expect) throw tooFew(document.peers.length, expect, document.where)
    if (!this.jsonEnabled()) this.log(peersTable(document.peers))
    return {peers: document.peers, source: document.source}
  }

  /** Polls serve until `expect` peers are known or the wait is over; undefined when serve does not run. */
  private async fromServe(paths: LanspreadPaths, waitMs: number, expect: number | undefined): Promise<(PeersDocument & {where: string}) | undefined> {
    const deadline = Date.now() + waitMs
    for (;;) {
      const viaServe = await requestServe<{peers: PeerInfo[]}>(paths, 'peers')
      if (!viaServe) return undefined
      const {peers} = viaServe.result
      const enough = expect === undefined ? Date.now() >= deadline : peers.length >= expect
      if (enough || Date.now() >= deadline)
        return {peers, source: 'serve', where: `in the peer table of the serve of ${paths.stateDir} after ${waitMs / 1000} s`}
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  private async fromMdns(
    paths: LanspreadPaths,
    waitS: number,
    expect: number | undefined,
    mdns: boolean,
    interfaces: string[],
  ): Promise<PeersDocument & {where: string}> {
    if (!mdnsAllowed(mdns)) throw serveNotRunning(paths)
    // Never a silent fallback: the user learns that serve is not running, and what is done instead.
    process.stderr.write(`lanspread serve is not running for ${paths.stateDir}: listening to mDNS for ${waitS} s instead\n`)
    const {browsePeers} = await import('../discovery/browse.js')
    const found = await browsePeers({interfaces, waitMs: waitS * 1000, ...(expect === undefined ? {} : {expect}), log: (message) => this.warnLine(message)})
    const where = `over mDNS for ${waitS} s on ${found.interfaces.join(', ') || 'no interface'} (lanspread serve is not running for ${paths.stateDir})`
    // "No peers." with exit 0 would read as an empty LAN; without serve it only means nobody answered.
    if (found.peers.length === 0 && expect === undefined) throw tooFew(0, 1, where)
    return {peers: found.peers, source: 'mdns', where}
  }
}

function tooFew(found: number, expected: number, where: string): LanspreadError {
  return new LanspreadError('no_peers', `found ${found} peer${found === 1 ? '' : 's'}, expected at least ${expected}, ${where}`, {
    hint: 'check that the other machines run `lanspread serve` on this network (same subnet, multicast not blocked), or wait longer with --wait',
  })
}
