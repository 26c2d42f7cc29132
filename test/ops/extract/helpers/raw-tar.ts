// Writes tar archives byte by byte (512-byte ustar headers with their checksum), so tests
// can build entries no well-behaved tar tool would write: '../evil', devices, links out.
import zlib from 'node:zlib'

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo'

const TYPE_FLAGS: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
}

export interface RawTarEntry {
  name: string
  type?: TarType
  data?: Buffer | string
  linkname?: string
  mode?: number
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value.slice(0, length), offset, length, 'utf8')
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`)
}

/** One 512-byte header; `ustar` false writes an old-style (pre-POSIX) header. */
export function tarHeader(entry: RawTarEntry, size: number, ustar = true): Buffer {
  const block = Buffer.alloc(512)
  writeString(block, 0, 100, entry.name)
  writeOctal(block, 100, 8, entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644))
  writeOctal(block, 108, 8, 1000)
  writeOctal(block, 116, 8, 1000)
  writeOctal(block, 124, 12, size)
  writeOctal(block, 136, 12, 1_700_000_000)
  writeString(block, 148, 8, '        ')
  writeString(block, 156, 1, TYPE_FLAGS[entry.type ?? 'file'])
  writeString(block, 157, 100, entry.linkname ?? '')
  if (ustar) {
    writeString(block, 257, 6, 'ustar\0')
    writeString(block, 263, 2, '00')
  }
  let sum = 0
  for (const byte of block) sum += byte
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return block
}

/** A whole tar archive: headers, data padded to 512 bytes, and the two zero end blocks. */
export function rawTar(entries: RawTarEntry[], ustar = true): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '')
    parts.push(tarHeader(entry, data.length, ustar), data, Buffer.alloc((512 - (data.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

export function rawTarGz(entries: RawTarEntry[]): Buffer {
  return zlib.gzipSync(rawTar(entries))
}
