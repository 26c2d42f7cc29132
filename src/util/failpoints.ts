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
] as const

/** An operation's or a download's failpoint. */
export type Failpoint = (typeof FAILPOINTS)[number]

/** The steps of an index save (src/library/index-store.ts), kept apart: its crash tests differ. */
export const INDEX_FAILPOINTS = ['index.rev-written', 'index.journal-appended', 'index.checkpoint-written', 'index.journal-removed'] as const
export type IndexFailpoint = (typeof INDEX_FAILPOINTS)[number]

/** Every failpoint name there is. */
export const ALL_FAILPOINTS = [...FAILPOINTS, ...INDEX_FAILPOINTS] as const

export const FAILPOINT_ENV = 'LANSPREAD_FAILPOINT'

export function failpoint(name: Failpoint | IndexFailpoint): void {
  if (process.env[FAILPOINT_ENV] !== name) return
  process.kill(process.pid, 'SIGKILL')
}
