// Builds .eti archives for tests from a map of files, with the `tar` package.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'

export async function writeTarArchive(file: string, files: Record<string, string | Buffer>, options: {gzip?: boolean} = {}): Promise<void> {
  const source = await fs.mkdtemp(path.join(os.tmpdir(), 'lanspread-archive-src-'))
  try {
    for (const [relative, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(source, relative)), {recursive: true})
      await fs.writeFile(path.join(source, relative), content)
    }
    await tar.create({file, cwd: source, gzip: options.gzip ?? false, portable: true}, Object.keys(files))
  } finally {
    await fs.rm(source, {recursive: true, force: true})
  }
}
