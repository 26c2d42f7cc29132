// Which signals stop a command or serve, per platform (record 0035): Windows sends no SIGTERM;
// Ctrl-C is SIGINT, Ctrl-Break SIGBREAK, and closing the console window SIGHUP there.

/** The error code each stop signal ends a command with (its exit code: EXIT_CODES). */
export const SIGNAL_CODES = {SIGINT: 'interrupted', SIGTERM: 'terminated', SIGBREAK: 'interrupted', SIGHUP: 'terminated'} as const
export type StopSignal = keyof typeof SIGNAL_CODES

/**
 * The signals to listen on. Elsewhere SIGHUP keeps its default (a closed terminal ends the
 * process), as it always did; on Windows it is the one warning before the console kills us.
 */
export function stopSignals(platform: string = process.platform): StopSignal[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK', 'SIGHUP'] : ['SIGINT', 'SIGTERM']
}
