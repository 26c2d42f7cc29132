// Named crash points at every step boundary of install, update, uninstall, download and an
// index save: the one list of every failpoint name. With LANSPREAD_FAILPOINT=<name> the process
// kills itself there with SIGKILL: no finally blocks, no exit handlers, no flushing — the
// closest a test gets to a power cut.

export const FAILPOINTS = [
  'install.intent-written',
  'install.staging-created',
  'install.extracting',
  'install.extracted',
  'install.renamed',
  'install.kept-deleted',
  'install.intent-cleared',
  'update.intent-written',
  'update.backup-moved',
  'update.staging-created',
  'update.extracting',
  'update.extracted',
  'update.carried-over',
  'update.renamed',
  'update.backup-deleted',
  'update.intent-cleared',
  'uninstall.intent-written',
  'uninstall.backup-moved',
  'uninstall.extracted-deleted',
  'uninstall.kept-moved',
  'uninstall.backup-deleted',
  'uninstall.intent-cleared',
  'download.locked',
  'download.sentinel-discarded',
  'download.chunk-written',
  'download.chunks-written',
  'download.stale-removed',
  'download.sentinel-tmp-synced',
  'download.sentinel-published',
  'download.unlocking',
  'index.rev-written',
  'index.journal-appended',
  'index.checkpoint-written',
  'index.journal-removed',
] as const

export type Failpoint = (typeof FAILPOINTS)[number]

/** The steps of an index save (src/library/index-store.ts). */
export const INDEX_FAILPOINTS = FAILPOINTS.filter((name): name is Extract<Failpoint, `index.${string}`> => name.startsWith('index.'))
export type IndexFailpoint = (typeof INDEX_FAILPOINTS)[number]

export const FAILPOINT_ENV = 'LANSPREAD_FAILPOINT'

export function failpoint(name: Failpoint): void {
  if (process.env[FAILPOINT_ENV] !== name) return
  process.kill(process.pid, 'SIGKILL')
}
