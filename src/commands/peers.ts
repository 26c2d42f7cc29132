import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {peersTable} from '../cli/render.js'
import {requestServe, serveNotRunning} from '../control/attach.js'
import type {PeerInfo} from '../peer/peer-table.js'
import {PinStore, pinsDirFor} from '../transport/pins.js'

export default class Peers extends LanspreadCommand {
  static override summary = 'List the peers the running serve knows, or forget the certificate pinned for one.'
  static override description =
    'Peers are known while `lanspread serve` runs (discovery without serve comes with mDNS). ' +
    'Each peer_id is pinned to the certificate it first came with; a peer that was really reinstalled (new certificate, same peer_id) is refused until you forget its pin with --forget.'

  static override examples = ['<%= config.bin %> peers', '<%= config.bin %> peers --json', '<%= config.bin %> peers --forget 3f2b8c1e-9d4a-4e6f-8b7a-1c2d3e4f5a6b']

  static override flags = {
    forget: Flags.string({description: 'remove the certificate pin of this peer_id, so its next certificate is accepted'}),
  }

  async run(): Promise<{peers: PeerInfo[]} | {peer_id: string; forgotten: boolean}> {
    const {flags} = await this.parse(Peers)
    const paths = this.resolvePaths(flags)
    if (flags.forget !== undefined) {
      const viaServe = await requestServe<{peer_id: string; forgotten: boolean}>(paths, 'forget', {peer_id: flags.forget})
      const result = viaServe?.result ?? {peer_id: flags.forget, forgotten: await new PinStore(pinsDirFor(paths.stateDir)).forget(flags.forget)}
      if (!this.jsonEnabled()) this.log(result.forgotten ? `forgot the pinned certificate of ${result.peer_id}` : `no certificate was pinned for ${result.peer_id}`)
      return result
    }
    const viaServe = await requestServe<{peers: PeerInfo[]}>(paths, 'peers')
    if (!viaServe) {
      throw serveNotRunning(paths)
    }
    if (!this.jsonEnabled()) this.log(peersTable(viaServe.result.peers))
    return viaServe.result
  }
}
