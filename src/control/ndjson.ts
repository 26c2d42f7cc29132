// Newline-delimited JSON over a byte stream: splits lines without ever holding more than
// one bounded line, for both ends of the control socket (and for reading serve's --json
// event lines from a child process).
import type {Socket} from 'node:net'
import type {Readable} from 'node:stream'

/**
 * Calls `onLine` for every complete line of `socket`; a line longer than `maxBytes` calls
 * `onOverflow` once and stops reading (the caller closes the socket).
 */
export function readLines(socket: Readable, maxBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let pending: Buffer[] = []
  let pendingBytes = 0
  const onData = (data: Buffer): void => {
    let start = 0
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
      pending.push(data.subarray(start, newline))
      const line = Buffer.concat(pending).toString('utf8')
      pending = []
      pendingBytes = 0
      start = newline + 1
      if (line.trim() !== '') onLine(line)
    }
    if (start < data.length) {
      pending.push(data.subarray(start))
      pendingBytes += data.length - start
    }
    if (pendingBytes > maxBytes) {
      socket.off('data', onData)
      pending = []
      onOverflow()
    }
  }
  socket.on('data', onData)
}

/** Writes one JSON line; resolves when the socket took it (back-pressure). */
export async function writeLine(socket: Socket, value: unknown): Promise<void> {
  if (socket.destroyed || !socket.writable) return
  const ok = socket.write(JSON.stringify(value) + '\n')
  if (ok) return
  await new Promise<void>((resolve) => {
    const done = (): void => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.once('drain', done)
    socket.once('close', done)
  })
}
