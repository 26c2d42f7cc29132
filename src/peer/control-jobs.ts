// The jobs serve runs for control clients (a fetch, an install): each under the token its
// client chose, so a `cancel` stops that one job, and `status` lists what is in progress.
import type {DownloadProgress} from '../download/progress.js'
import type {CancelResult} from '../control/messages.js'

export interface Job {
  kind: 'fetch' | 'install'
  ids: string[]
  /** Set for the jobs that can stop midway (a fetch); an install runs to its end. */
  controller: AbortController | undefined
  /** The newest progress of each game this job downloads. */
  progress: Map<string, DownloadProgress>
}

export class ControlJobs {
  private readonly jobs = new Map<string, Job>()
  private anonymous = 0

  /** Runs `work` as job `token` (a fresh token when the client gave none) until it settles. */
  async run<T>(token: string | undefined, job: Omit<Job, 'progress'>, work: (job: Job) => Promise<T>): Promise<T> {
    const key = token ?? `anonymous-${++this.anonymous}`
    const entry: Job = {...job, progress: new Map()}
    this.jobs.set(key, entry)
    try {
      return await work(entry)
    } finally {
      if (this.jobs.get(key) === entry) this.jobs.delete(key)
    }
  }

  cancel(token: string): CancelResult {
    const job = this.jobs.get(token)
    if (!job) return {job: token, outcome: 'unknown'}
    if (!job.controller) return {job: token, outcome: 'not_cancellable'}
    job.controller.abort()
    return {job: token, outcome: 'cancelling'}
  }

  /** The downloads in progress, newest progress of each game (a game fetched already, now installing or waiting for the next, is not one). */
  downloads(): DownloadProgress[] {
    const all: DownloadProgress[] = []
    for (const job of this.jobs.values()) {
      for (const progress of job.progress.values()) if (progress.done_bytes < progress.total_bytes) all.push(progress)
    }
    return all
  }
}
