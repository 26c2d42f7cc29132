import {describe, expect, it} from 'vitest'
import {ControlJobs} from '../../src/peer/control-jobs.js'
import type {DownloadProgress} from '../../src/download/progress.js'

const progress = (id: string, done: number, total: number): DownloadProgress => ({
  id,
  total_bytes: total,
  done_bytes: done,
  reused_bytes: 0,
  fetched_bytes: done,
  buffered_bytes: 0,
  sources: [],
  rate: 1,
  eta_ms: null,
})

describe('ControlJobs', () => {
  it('cancels a fetch by its token, says an install cannot stop midway, and does not know a finished job', async () => {
    const jobs = new ControlJobs()
    let release!: () => void
    const running = jobs.run(
      'fetch-1',
      {kind: 'fetch', ids: ['quake'], controller: new AbortController()},
      (job) =>
        new Promise<string>((resolve, reject) => {
          job.progress.set('quake', progress('quake', 5, 10))
          job.controller!.signal.addEventListener('abort', () => reject(new Error('aborted')))
          release = () => resolve('done')
        }),
    )
    const install = jobs.run(
      'install-1',
      {kind: 'install', ids: ['doom'], controller: undefined},
      () => new Promise<string>((resolve) => setTimeout(() => resolve('installed'), 50)),
    )
    expect(jobs.downloads().map((d) => d.id)).toEqual(['quake'])
    expect(jobs.cancel('install-1')).toEqual({job: 'install-1', outcome: 'not_cancellable'})
    expect(jobs.cancel('fetch-1')).toEqual({job: 'fetch-1', outcome: 'cancelling'})
    await expect(running).rejects.toThrow('aborted')
    release()
    expect(await install).toBe('installed')
    expect(jobs.cancel('fetch-1')).toEqual({job: 'fetch-1', outcome: 'unknown'})
    expect(jobs.downloads()).toEqual([])
  })
})
