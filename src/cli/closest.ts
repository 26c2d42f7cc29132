// "Did you mean …": the command name nearest to a mistyped one, by edit distance, or none
// when every name is too far away to be a typo.

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/** The nearest name, if it is close enough to be a typo (at most half the typed length, and at least 2, edits away). */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(typed.length / 2))
  let best: {name: string; distance: number} | undefined
  for (const name of names) {
    const distance = name.startsWith(typed) || typed.startsWith(name) ? Math.min(1, editDistance(typed, name)) : editDistance(typed, name)
    if (distance <= limit && (best === undefined || distance < best.distance)) best = {name, distance}
  }
  return best?.name
}
