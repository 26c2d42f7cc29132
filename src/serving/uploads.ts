// The uploads this peer is serving: one per game and peer, from its first chunk until no chunk
// went out for a while. Logged once when it starts and once when it ends, with its bytes (never
// per chunk), and listed with a rate by `lanspread status`.

export interface UploadInfo {
  id: string
  peer_id: string
  bytes: number
  started_at: string
  /** Bytes per second since the upload started. */
  rate: number
}

/** How many distinct chunks of one game went out since its uploads began (any peer). */
export interface ServedGameInfo {
  id: string
  chunks: number
}

interface Upload {
  id: string
  peerId: string
  bytes: number
  started: number
  last: number
}

/** An upload with no chunk for this long has ended (a download asks for chunks continuously). */
export const UPLOAD_IDLE_MS = 5000

export class UploadLog {
  private readonly uploads = new Map<string, Upload>()
  /**
   * Per game with an upload running, the chunks (path and offset) handed out to anyone: with
   * swarming a seed should send each chunk about once, and this says when it has sent them all.
   * Bounded by the chunks of the games being uploaded; forgotten when a game's uploads end.
   */
  private readonly chunks = new Map<string, Set<string>>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    private readonly idleMs = UPLOAD_IDLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** One chunk of `bytes` of game `id` (`chunk`: its path and offset) went to `peerId`. */
  served(id: string, peerId: string, bytes: number, chunk?: string): void {
    const key = `${peerId}\u0000${id}`
    const at = this.now()
    if (chunk !== undefined) this.chunksOf(id).add(chunk)
    const upload = this.uploads.get(key)
    if (upload) {
      upload.bytes += bytes
      upload.last = at
      return
    }
    this.uploads.set(key, {id, peerId, bytes, started: at, last: at})
    this.log('info', `upload of ${id} to peer ${peerId} started`)
    this.timer ??= setInterval(() => this.endIdle(), Math.max(100, this.idleMs / 5)).unref()
  }

  list(): UploadInfo[] {
    const now = this.now()
    return [...this.uploads.values()].map((upload) => ({
      id: upload.id,
      peer_id: upload.peerId,
      bytes: upload.bytes,
      started_at: new Date(upload.started).toISOString(),
      rate: Math.round(upload.bytes / Math.max(0.001, (now - upload.started) / 1000)),
    }))
  }

  /** Each game being uploaded, with the distinct chunks of it handed out so far. */
  servedGames(): ServedGameInfo[] {
    return [...this.chunks].map(([id, chunks]) => ({id, chunks: chunks.size}))
  }

  private chunksOf(id: string): Set<string> {
    let chunks = this.chunks.get(id)
    if (chunks === undefined) {
      chunks = new Set()
      this.chunks.set(id, chunks)
    }
    return chunks
  }

  /** Ends every upload (serve stops): each gets its end line. */
  stop(): void {
    this.endIdle(Number.POSITIVE_INFINITY)
  }

  private endIdle(now = this.now()): void {
    for (const [key, upload] of this.uploads) {
      if (now !== Number.POSITIVE_INFINITY && now - upload.last < this.idleMs) continue
      this.uploads.delete(key)
      const seconds = (upload.last - upload.started) / 1000
      this.log('info', `upload of ${upload.id} to peer ${upload.peerId} ended: ${upload.bytes} bytes in ${seconds.toFixed(1)} s`)
    }
    const uploading = new Set([...this.uploads.values()].map((upload) => upload.id))
    for (const id of this.chunks.keys()) if (!uploading.has(id)) this.chunks.delete(id)
    if (this.uploads.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}
