// Progress over the bytes of one archive file, and the totals an extraction returns.
// Reports never go backwards and never pass the archive's size.
import fsp from 'node:fs/promises'
import {ioError, LanspreadError} from '../../errors.js'

export type ProgressListener = (bytesRead: number, totalBytes: number) => void

export interface ExtractTotals {
  files: number
  bytes: number
}

export interface Progress {
  /** Adds bytes consumed from the archive file. */
  add(bytes: number): void
  /** Reports the whole archive as consumed; throws (internal) if the listener threw earlier. */
  finish(): void
}

/**
 * The listener runs inside stream callbacks, where its exception would escape uncaught:
 * the first one is kept, the listener is called no more, and finish() throws it.
 */
export function createProgress(totalBytes: number, listener: ProgressListener | undefined): Progress {
  let read = 0
  let reported = -1
  let failure: unknown
  const report = (value: number): void => {
    const capped = Math.min(value, totalBytes)
    if (listener === undefined || failure !== undefined || capped <= reported) return
    reported = capped
    try {
      listener(capped, totalBytes)
    } catch (error) {
      failure = error ?? new LanspreadError('internal', 'the progress listener threw undefined')
    }
  }
  return {
    add(bytes) {
      read += bytes
      report(read)
    },
    finish() {
      report(totalBytes)
      if (failure === undefined) return
      throw new LanspreadError('internal', `the extraction progress listener failed: ${String(failure)}`, {cause: failure})
    },
  }
}

/** The size of the archive file: the total that progress counts towards. */
export async function archiveSize(archive: string): Promise<number> {
  try {
    return (await fsp.stat(archive)).size
  } catch (error) {
    throw ioError('read archive', archive, error)
  }
}
