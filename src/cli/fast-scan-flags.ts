// Which command lines take the fast `scan` path (fast-scan.ts), and its flags. Only the plain
// forms are taken (the command's own flags, each once, with a value that cannot be a flag);
// anything else (--help, a typo, a repeated flag) goes to oclif, which parses it. No imports:
// main.ts reads this before it knows whether oclif is needed at all.
export interface FastScanFlags {
  json: boolean
  full: boolean
  games?: string
  'state-dir'?: string
  catalog?: string
}

const BOOLEANS = new Set(['--json', '--full'])
const OPTIONS = new Set(['--games', '--state-dir', '--catalog'])

/** The flags of a plain `scan` command line, or undefined when oclif must parse it. */
export function fastScanFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FastScanFlags | undefined {
  if (argv[0] !== 'scan') return undefined
  // oclif reads <BIN>_CONTENT_TYPE=json as --json.
  if (env.LANSPREAD_CONTENT_TYPE !== undefined) return undefined
  const seen = new Map<string, string | true>()
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i]!
    const equals = token.indexOf('=')
    const name = equals === -1 ? token : token.slice(0, equals)
    if (seen.has(name)) return undefined
    if (BOOLEANS.has(token)) {
      seen.set(token, true)
      continue
    }
    if (!OPTIONS.has(name)) return undefined
    const value = equals === -1 ? argv[++i] : token.slice(equals + 1)
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    seen.set(name, value)
  }
  const option = (name: string): {[key: string]: string} => {
    const value = seen.get(`--${name}`)
    return typeof value === 'string' ? {[name]: value} : {}
  }
  return {json: seen.has('--json'), full: seen.has('--full'), ...option('games'), ...option('state-dir'), ...option('catalog')}
}
