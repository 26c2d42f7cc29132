// One holder at a time, first come first served: the promise chain that QUIC's recv (record
// 0043), a bulk TLS connection's requests and the library's refreshes each run their work on.

/** A mutex whose `withF` runs `work` once every earlier holder settled; a holder's error reaches only its caller. */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve()

  withF<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(work)
    this.tail = run.catch(() => undefined)
    return run
  }
}
