// Watches a tar extraction entry by entry: refuses hostile entries before tar writes them,
// turns tar's warnings into lanspread errors, and counts what was written.
import type {Stats} from 'node:fs'
import path from 'node:path'
import {ReadEntry} from 'tar'
import {ioError, LanspreadError} from '../../errors.js'
import {PlatformPaths} from '../../words/platform-paths.js'
import {corruptArchive, describe, unholdableEntry, unsafeEntry} from './archive-errors.js'
import {isRootName, unsafeHardlinkReason, unsafePathReason} from './entry-rules.js'
import type {ExtractTotals} from './progress.js'
import {DeferredSymlinks} from './symlinks.js'

/** The data tar passes with a warning: the entry, a path, the error's fields (its WarnData). */
type WarnData = Readonly<Record<string, unknown>>

const FILE_TYPES: ReadonlySet<string> = new Set(['File', 'OldFile', 'ContiguousFile'])
const DIRECTORY_TYPES: ReadonlySet<string> = new Set(['Directory', 'GNUDumpDir'])
const SPECIAL_TYPES: Readonly<Record<string, string>> = {
  CharacterDevice: 'is a character device',
  BlockDevice: 'is a block device',
  FIFO: 'is a FIFO (named pipe)',
}

/** Why a tar entry must not be extracted, or undefined when it is safe. */
function refusal(entry: ReadEntry): string | undefined {
  const pathReason = unsafePathReason(entry.path)
  if (pathReason !== undefined) return pathReason
  if (isRootName(entry.path) && !DIRECTORY_TYPES.has(entry.type)) return 'would replace the extraction folder'
  const linkpath = entry.linkpath ?? ''
  if (entry.type === 'Link') return unsafeHardlinkReason(linkpath)
  // Symbolic links are checked by DeferredSymlinks.admit, the rule zip shares.
  if (FILE_TYPES.has(entry.type) || DIRECTORY_TYPES.has(entry.type) || entry.type === 'SymbolicLink') return undefined
  return SPECIAL_TYPES[entry.type] ?? `has the unsupported entry type ${entry.type}`
}

function warnedEntry(data: WarnData): string | undefined {
  if (data.entry instanceof ReadEntry) return data.entry.path
  return typeof data.path === 'string' ? data.path : undefined
}

export class TarGuard {
  /** The first failure; later ones are consequences of it or add nothing. */
  failure: LanspreadError | undefined
  /** True once tar read the end-of-archive marker (two zero blocks). */
  sawEnd = false
  readonly totals: ExtractTotals = {files: 0, bytes: 0}
  /** Entry paths of the hard links written, checked once tar is done. */
  readonly hardlinks: string[] = []
  /** Checked symbolic links, which tar does not write: we create them once it is done. */
  readonly symlinks = new DeferredSymlinks()

  constructor(
    private readonly archive: string,
    private readonly dest: string,
    private readonly onFailure: () => void,
    private readonly names: PlatformPaths = new PlatformPaths(process.platform, undefined),
  ) {}

  fail(error: LanspreadError): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.onFailure()
  }

  /** tar calls our callbacks inside its stream code, where a throw would escape uncaught. */
  private safely<T>(fallback: T, body: () => T): T {
    try {
      return body()
    } catch (error) {
      this.fail(new LanspreadError('internal', `extracting ${this.archive} failed: ${describe(error)}`, {cause: error}))
      return fallback
    }
  }

  /** tar's `filter`: false drops the entry unwritten. */
  readonly filter = (_path: string, entry: Stats | ReadEntry): boolean => this.safely(false, () => this.admit(entry))

  /** tar's `onReadEntry`: called for each entry the filter let through. */
  readonly onReadEntry = (entry: ReadEntry): void => this.safely(undefined, () => this.count(entry))

  /** tar's `onwarn`: in non-strict mode tar only warns about entries it skipped or could not write. */
  readonly onwarn = (code: string, message: string, data: WarnData): void => this.safely(undefined, () => this.warned(code, message, data))

  private admit(entry: Stats | ReadEntry): boolean {
    if (!(entry instanceof ReadEntry) || this.failure !== undefined) return false
    const reason = refusal(entry)
    if (reason !== undefined) {
      this.fail(unsafeEntry(this.archive, entry.path, reason))
      return false
    }
    const unholdable = this.names.problem(entry.path)
    if (unholdable !== undefined) {
      this.fail(unholdableEntry(this.archive, unholdable))
      return false
    }
    if (entry.type === 'Link' && this.symlinks.covers(entry.linkpath ?? '')) {
      this.fail(unsafeEntry(this.archive, entry.path, 'is a hard link to a symbolic link'))
      return false
    }
    if (entry.type === 'SymbolicLink') {
      const linkReason = this.symlinks.admit(entry.path, entry.linkpath ?? '')
      if (linkReason !== undefined) this.fail(unsafeEntry(this.archive, entry.path, linkReason))
      return false
    }
    this.symlinks.supersede(entry.path)
    // Keep the permission bits (the executable bit among them), never setuid, setgid or sticky.
    if (entry.mode !== undefined) entry.mode &= 0o777
    return true
  }

  private count(entry: ReadEntry): void {
    if (entry.type === 'Link') this.hardlinks.push(entry.path)
    if (!FILE_TYPES.has(entry.type)) return
    this.totals.files += 1
    this.totals.bytes += entry.size
  }

  private warned(code: string, message: string, data: WarnData): void {
    if (code === 'TAR_ENTRY_INFO') return
    const entry = warnedEntry(data) ?? '(unknown entry)'
    if (data.code === 'TAR_SYMLINK_ERROR') {
      this.fail(unsafeEntry(this.archive, entry, 'needs a path through a symbolic link, which tar refuses'))
    } else if (code === 'TAR_ENTRY_ERROR' && typeof data.syscall === 'string') {
      const target = typeof data.path === 'string' ? data.path : path.join(this.dest, entry)
      this.fail(ioError('extract', target, data))
    } else if (code === 'TAR_ENTRY_ERROR' || code === 'TAR_ENTRY_UNSUPPORTED') {
      this.fail(unsafeEntry(this.archive, entry, `was refused by tar: ${message}`))
    } else {
      this.fail(corruptArchive(this.archive, `invalid tar data (${message})`))
    }
  }

  /** An 'error' event of the unpacker (bad archive, missing destination) or of the input streams. */
  onError(error: unknown): void {
    const syscall = typeof error === 'object' && error !== null && 'syscall' in error
    if (syscall && error instanceof Error && error.name === 'CwdError') {
      this.fail(ioError('extract into', this.dest, error))
      return
    }
    if (syscall) {
      this.fail(ioError('read archive', this.archive, error))
      return
    }
    this.fail(corruptArchive(this.archive, error instanceof Error ? error.message : String(error), error))
  }
}
