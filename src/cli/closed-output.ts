// A reader that goes away early (`lanspread library --json | head -c 100`) closes our stdout:
// the next write fails with EPIPE, which Node raises as an unhandled 'error' event and a
// stack trace. A command then stops quietly, as a Unix filter ended by SIGPIPE would; serve
// keeps serving (its peers do not care who reads its log) and drops what it can no longer print.

/** Installs the handlers; `keepRunning` for a long-running command (serve). */
export function handleClosedOutput(keepRunning: boolean): void {
  for (const stream of [process.stdout, process.stderr]) {
    // Whatever broke the stream (EPIPE, EIO on a hung-up terminal), nothing more can be shown on it.
    stream.on('error', () => {
      if (!keepRunning) process.exit()
    })
  }
}
