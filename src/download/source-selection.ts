// Which peers a download takes its bytes from (SPEC §5): the newest eti_version, then the
// manifest_hash most peers offer; after GetGame, the content_hash most of them answer.
// A source whose manifest says anything else is never mixed in.
import {LanspreadError, errorMessage} from '../errors.js'
import type {GameId} from '../library/layout.js'
import type {GameSummary} from '../library/summary.js'
import type {GameManifest} from '../protocol/messages.js'
import type {GameSource} from './game-source.js'
import {manifestProblem} from './manifest-check.js'

export interface SourceCandidate {
  source: GameSource
  summary: Pick<GameSummary, 'id' | 'eti_version' | 'manifest_hash' | 'availability'>
}

export interface SelectedSources {
  manifest: GameManifest
  eti_version: string | null
  sources: GameSource[]
  /** Sources left out, and why (another content, no answer, a manifest that does not check out). */
  rejected: {peer_id: string; reason: string}[]
}

const versionOrder = new Intl.Collator('en', {numeric: true, sensitivity: 'base'})

/** Orders eti_versions so "1.10" is newer than "1.9"; a peer with no version is the oldest. */
export function compareVersions(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return versionOrder.compare(a, b)
}

/** The candidates that offer the version to download: newest eti_version, then the most offered manifest_hash. */
export function preferredCandidates(id: GameId, candidates: readonly SourceCandidate[]): SourceCandidate[] {
  const ready = candidates.filter((c) => c.summary.id === id && c.summary.availability === 'ready')
  if (ready.length === 0) {
    throw new LanspreadError('not_found', `no peer offers game ${id} ready to download`, {
      hint: 'run `lanspread peers` and `lanspread library --peers` to see what the peers have',
    })
  }
  const newest = ready.reduce((best, c) => (compareVersions(c.summary.eti_version, best) > 0 ? c.summary.eti_version : best), ready[0]!.summary.eti_version)
  const ofNewest = ready.filter((c) => compareVersions(c.summary.eti_version, newest) === 0)
  const hash = mostCommon(ofNewest.map((c) => c.summary.manifest_hash))
  return ofNewest.filter((c) => c.summary.manifest_hash === hash)
}

/**
 * Asks every preferred candidate for the manifest and keeps the sources that agree on the
 * content the most of them answered. Throws `not_found` when none answers with a usable manifest.
 */
export async function selectSources(id: GameId, candidates: readonly SourceCandidate[]): Promise<SelectedSources> {
  const preferred = preferredCandidates(id, candidates)
  const rejected: SelectedSources['rejected'] = []
  const answers = await Promise.all(preferred.map(async (candidate) => ({candidate, manifest: await askManifest(id, candidate, rejected)})))
  const usable = answers.filter((a): a is {candidate: SourceCandidate; manifest: GameManifest} => a.manifest !== undefined)
  if (usable.length === 0) {
    const reasons = rejected.map((r) => `${r.peer_id}: ${r.reason}`).join('; ')
    throw new LanspreadError('not_found', `no peer gave a usable manifest of game ${id} (${reasons})`, {
      hint: 'check the peers with `lanspread peers`, then try again',
    })
  }
  const content = mostCommon(usable.map((a) => a.manifest.content_hash))
  const chosen = usable.find((a) => a.manifest.content_hash === content)!
  const sources: GameSource[] = []
  for (const {candidate, manifest} of usable) {
    if (manifest.content_hash === content && sameFiles(manifest, chosen.manifest)) sources.push(candidate.source)
    else rejected.push({peer_id: candidate.source.peerId, reason: `offers other content (content_hash ${manifest.content_hash.slice(0, 12)}…)`})
  }
  return {manifest: chosen.manifest, eti_version: chosen.candidate.summary.eti_version, sources, rejected}
}

async function askManifest(id: GameId, {source, summary}: SourceCandidate, rejected: SelectedSources['rejected']): Promise<GameManifest | undefined> {
  try {
    const answer = await source.getGame(id)
    if (answer === 'not_modified') {
      rejected.push({peer_id: source.peerId, reason: 'answered NotModified to a request without a content hash'})
      return undefined
    }
    const problem = manifestProblem(id, answer, summary.manifest_hash)
    if (problem === undefined) return answer
    rejected.push({peer_id: source.peerId, reason: problem})
  } catch (error) {
    rejected.push({peer_id: source.peerId, reason: errorMessage(error)})
  }
  return undefined
}

/** Two manifests that list the same files with the same hashes: their chunks can be mixed. */
function sameFiles(a: GameManifest, b: GameManifest): boolean {
  if (a.chunk_size !== b.chunk_size || a.files.length !== b.files.length) return false
  return a.files.every((file, i) => {
    const other = b.files[i]!
    return file.path === other.path && file.size === other.size && file.hash === other.hash
  })
}

/** The value most entries hold; ties go to the one seen first. */
function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  let best = values[0]!
  for (const [value, count] of counts) if (count > counts.get(best)!) best = value
  return best
}
