// The object form of a fingerprint that indexes of version 1 and 2 stored, from the string
// form of version 3: tests write old indexes from what a current scan saved.
import type {FingerprintParts} from '../../src/library/schemas.js'

export function fingerprintParts(form: string): FingerprintParts {
  const [sentinel, local, ...archives] = form.split('/')
  const stamp = (text: string) => {
    const [size, mtime] = text.split('@')
    return {size: Number(size), mtime_ms: Number(mtime)}
  }
  const parts: FingerprintParts = {archives: [], sentinel: sentinel === '-' ? null : stamp(sentinel!), local_dir: local === 'L'}
  for (let i = 0; i < archives.length; i += 2) parts.archives.push({name: archives[i]!, ...stamp(archives[i + 1]!)})
  return parts
}
