// `--transport quic|portable` of the benchmarks (record 0033): which peer transport the serves
// and one-shot peers of a run use. portable runs them as on a machine without QUIC.
import type {TransportName} from '../src/words/transports.js'

export interface BenchTransport {
  name: TransportName
  /** What each serve of the run is started with. */
  serveArgs: string[]
  /** What the transport's traffic counters count, for the report. */
  counted: string
}

export function benchTransport(argv: readonly string[] = process.argv.slice(2)): BenchTransport {
  const at = argv.indexOf('--transport')
  const value = at >= 0 ? argv[at + 1] : (argv.find((arg) => arg.startsWith('--transport='))?.slice('--transport='.length) ?? 'quic')
  if (value !== 'quic' && value !== 'portable') throw new Error(`--transport takes quic or portable, not ${String(value)}`)
  // Children inherit it: the one-shot fetches of the run lack QUIC too.
  if (value === 'portable') process.env.LANSPREAD_QUIC = '0'
  return {
    name: value,
    serveArgs: ['--transport', value],
    counted: value === 'quic' ? 'UDP payload both ways (QUIC headers, TLS, acks included)' : 'TCP payload both ways (HTTP/2 and TLS framing included)',
  }
}
