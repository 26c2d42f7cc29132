import {Flags} from '@oclif/core'
import {LanspreadCommand} from '../cli/base-command.js'
import {argvWantsJson} from '../cli/failure.js'
import {parsePeerAddress} from '../discovery/static-peers.js'
import {serveUntilSignal} from '../cli/serve.js'
import {TRANSPORT_MODES, type TransportMode} from '../words/transports.js'

export default class Serve extends LanspreadCommand {
  static override summary = "Run this machine's peer: keep the library indexed, find peers, sync libraries, answer the other commands."
  static override description =
    "Recovers every game folder, scans the library and watches it, listens for peers over QUIC (UDP --port) and the portable transport (HTTP/2 over TLS, TCP --port + 1), keeps each peer's library in sync " +
    'and answers the other lanspread commands through <state>/control.sock. Stops cleanly on Ctrl-C or SIGTERM, telling peers goodbye. ' +
    'Logs go to stderr; --json prints one JSON event per line on stdout (listening, peer_found, peer_lost, peer_refused, library_changed, …). ' +
    'Peers are found over mDNS / DNS-SD (_lanspread._udp) on every non-internal IPv4 interface, or those given with --interface; --no-mdns (or LANSPREAD_MDNS=0) turns it off. ' +
    'Each peer is reached over QUIC when both run it, else over the portable transport; where QUIC does not load (or LANSPREAD_QUIC=0) only the portable one runs. ' +
    'Timing for tests and unusual networks: LANSPREAD_PING_AFTER_MS, LANSPREAD_STALE_AFTER_MS, LANSPREAD_REQUEST_TIMEOUT_MS, LANSPREAD_REDIAL_MIN_MS, LANSPREAD_REDIAL_MAX_MS.'

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 4870 --bulk-port 4871',
    '<%= config.bin %> serve --port 4870 --peer 192.168.1.20:4870 --peer 192.168.1.21:4870',
    '<%= config.bin %> serve --json --port 0 --host 127.0.0.1 --no-mdns',
    '<%= config.bin %> serve --interface eth1 --interface 10.0.0.5',
  ]

  // serve's --json is a stream of events, not one document: it manages stdout itself.
  static override enableJsonFlag = false
  // Ctrl-C and SIGTERM stop serve cleanly (goodbye to peers), not as an interrupted operation.
  static override handlesOwnSignals = true

  static override flags = {
    port: Flags.integer({
      description: 'UDP port for QUIC; the portable transport takes TCP --port + 1 (0 picks free ports)',
      default: 4870,
      min: 0,
      max: 65_535,
    }),
    transport: Flags.string({
      description: 'peer transports: auto (QUIC where it loads, and portable), quic (QUIC only), portable (HTTP/2 over TLS only)',
      options: [...TRANSPORT_MODES],
      default: 'auto',
    }),
    host: Flags.string({description: 'address to listen on', default: '0.0.0.0'}),
    peer: Flags.string({description: 'a static peer HOST:PORT (repeatable), for networks without multicast', multiple: true}),
    'rescan-interval': Flags.integer({description: 'seconds between fallback full scans of the games folder', default: 300, min: 1}),
    json: Flags.boolean({description: 'print events as JSON lines on stdout'}),
    bulk: Flags.boolean({description: 'serve chunk bytes over TLS-over-TCP too (--no-bulk: QUIC only)', default: true, allowNo: true}),
    'bulk-port': Flags.integer({description: 'TCP port of the bulk data plane (default: the --port number; 0 picks a free port)', min: 0, max: 65_535}),
    mdns: Flags.boolean({description: 'find peers and be found over mDNS / DNS-SD (--no-mdns: only --peer)', default: true, allowNo: true}),
    interface: Flags.string({
      description: 'run mDNS on this interface NAME or IPv4 ADDRESS (repeatable; default: every non-internal IPv4 interface)',
      multiple: true,
    }),
  }

  // A failure under --json is one JSON document on stdout, like every other command's (a script reads stdout).
  protected override failsAsJson(): boolean {
    return argvWantsJson(this.argv)
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    const peers = (flags.peer ?? []).map(parsePeerAddress)
    await serveUntilSignal({
      paths: this.resolvePaths(flags),
      host: flags.host,
      port: flags.port,
      staticPeers: peers,
      rescanIntervalMs: flags['rescan-interval'] * 1000,
      json: flags.json,
      bulk: flags.bulk,
      transportMode: transportMode(flags.transport),
      ...(flags['bulk-port'] === undefined ? {} : {bulkPort: flags['bulk-port']}),
      mdns: flags.mdns,
      interfaces: flags.interface ?? [],
    })
  }
}

/** oclif has checked the value against TRANSPORT_MODES already; this narrows its type. */
function transportMode(value: string): TransportMode {
  return TRANSPORT_MODES.find((mode) => mode === value) ?? 'auto'
}
