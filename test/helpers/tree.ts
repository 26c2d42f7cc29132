// Snapshots of a folder tree (relative path → file content, or "<dir>"/"<link>") so tests
// can assert that something was left exactly as it was.
import fs from 'node:fs/promises'
import path from 'node:path'

export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk(dir: string, prefix: string): Promise<void> {
    let entries
    try {
      entries = await fs.readdir(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries) {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        out[relative] = '<dir>'
        await walk(full, relative)
      } else if (entry.isSymbolicLink()) out[relative] = `<link ${await fs.readlink(full)}>`
      else out[relative] = await fs.readFile(full, 'utf8')
    }
  }
  await walk(root, '')
  return out
}

/** The entries of a snapshot under one top-level name. */
export function subtree(snapshot: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).filter(([p]) => p === name || p.startsWith(`${name}/`)))
}
