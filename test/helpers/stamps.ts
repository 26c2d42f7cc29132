// Identity stamps (inode, size, mtime) of every entry of a folder tree, the folder itself
// included, so a test can prove that nothing in it was written, replaced or created.
import fs from 'node:fs/promises'
import path from 'node:path'

export async function stampTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function visit(full: string, relative: string): Promise<void> {
    const stat = await fs.lstat(full).catch(() => null)
    if (!stat) return
    out[relative || '.'] = `${stat.ino}:${stat.size}:${stat.mtimeMs}`
    if (!stat.isDirectory()) return
    for (const name of await fs.readdir(full)) await visit(path.join(full, name), relative ? `${relative}/${name}` : name)
  }
  await visit(root, '')
  return out
}
