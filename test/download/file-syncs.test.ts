import {describe, expect, it} from 'vitest'
import {FileSyncs} from '../../src/download/file-syncs.js'
import type {PlannedChunk, PlannedFile} from '../../src/download/planner.js'

function plannedFile(diskPath: string, chunks: number): {file: PlannedFile; chunks: PlannedChunk[]} {
  const file = {entry: {path: diskPath, size: chunks, hash: '', chunks: []}, diskPath, verified: []} as unknown as PlannedFile
  return {file, chunks: Array.from({length: chunks}, (_, index) => ({file, index, offset: index, length: 1, hash: ''}))}
}

describe('FileSyncs', () => {
  it('syncs a file when its last chunk lands, files with nothing fetched at the end, each once', async () => {
    const a = plannedFile('/g/a', 2)
    const b = plannedFile('/g/b', 1)
    const kept = plannedFile('/g/kept', 0)
    const synced: string[] = []
    const syncs = new FileSyncs([a.file, b.file, kept.file], [...a.chunks, ...b.chunks], async (file) => void synced.push(file))
    syncs.written(a.chunks[1]!)
    expect(synced).toEqual([])
    syncs.written(a.chunks[0]!)
    expect(synced).toEqual(['/g/a'])
    syncs.written(b.chunks[0]!)
    await syncs.finish()
    expect(synced).toEqual(['/g/a', '/g/b', '/g/kept'])
  })

  it('syncs again a file written after its fsync started, and reports a failed fsync from finish only', async () => {
    const a = plannedFile('/g/a', 1)
    const synced: string[] = []
    let fail = true
    const syncs = new FileSyncs([a.file], a.chunks, async (file) => {
      synced.push(file)
      if (fail) throw new Error(`fsync ${file} failed`)
    })
    syncs.written(a.chunks[0]!)
    await new Promise((resolve) => setImmediate(resolve)) // no unhandled rejection meanwhile
    fail = false
    syncs.written(a.chunks[0]!)
    await expect(syncs.finish()).rejects.toThrow('fsync /g/a failed')
    expect(synced).toEqual(['/g/a'])
  })
})
