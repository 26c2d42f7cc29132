import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {peersTable} from '../cli/render.js'
import type {PeersDocument} from '../api/lanspread-api.js'
import type {ForgetResult} from '../control/library-documents.js'

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

  async run(): Promise<PeersDocument | ForgetResult> {
    const {flags} = await this.parse(Peers)
    const paths = this.resolvePaths(flags)
    const discovery = {mdns: flags.mdns, interfaces: flags.interface ?? []}
    const forget = flags.forget
    if (forget !== undefined) {
      const result = await this.withApi(paths, (api) => api.forget(forget))
      if (!this.jsonEnabled())
        this.log(result.forgotten ? `forgot the pinned certificate of ${result.peer_id}` : `no certificate was pinned for ${result.peer_id}`)
      return result
    }
    // --wait is in seconds on both paths (serve's peer table, or an mDNS browse).
    const request = {...(flags.wait === undefined ? {} : {wait: flags.wait}), ...(flags.expect === undefined ? {} : {expect: flags.expect})}
    const document = await this.withApi(paths, (api) => api.peers(request), discovery)
    if (!this.jsonEnabled()) this.log(peersTable(document.peers))
    return document
  }
}
