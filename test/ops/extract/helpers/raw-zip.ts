// Writes zip archives by hand (stored or deflated entries, Unix modes in the external
// attributes) so tests can build hostile names and symbolic-link entries.
import zlib from 'node:zlib'

export interface RawZipEntry {
  name: string
  data?: Buffer | string
  /** Unix mode with its file type bits, e.g. 0o100755 or 0o120777 for a symbolic link. */
  mode?: number
  deflate?: boolean
}

const CRC_TABLE = Array.from({length: 256}, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** CRC-32 (the zip polynomial), computed with a table. */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

interface Written {
  entry: RawZipEntry
  name: Buffer
  crc: number
  size: number
  compressed: Buffer
  offset: number
}

function localHeader(item: Written): Buffer {
  const header = Buffer.alloc(30)
  header.writeUInt32LE(0x04034b50, 0)
  header.writeUInt16LE(20, 4)
  header.writeUInt16LE(0x800, 6)
  header.writeUInt16LE(item.entry.deflate === true ? 8 : 0, 8)
  header.writeUInt16LE(0, 10)
  header.writeUInt16LE(0x21, 12)
  header.writeUInt32LE(item.crc, 14)
  header.writeUInt32LE(item.compressed.length, 18)
  header.writeUInt32LE(item.size, 22)
  header.writeUInt16LE(item.name.length, 26)
  header.writeUInt16LE(0, 28)
  return Buffer.concat([header, item.name])
}

function centralHeader(item: Written): Buffer {
  const header = Buffer.alloc(46)
  const isDir = item.entry.name.endsWith('/')
  const mode = item.entry.mode ?? (isDir ? 0o040755 : 0o100644)
  header.writeUInt32LE(0x02014b50, 0)
  header.writeUInt16LE((3 << 8) | 20, 4)
  header.writeUInt16LE(20, 6)
  header.writeUInt16LE(0x800, 8)
  header.writeUInt16LE(item.entry.deflate === true ? 8 : 0, 10)
  header.writeUInt16LE(0, 12)
  header.writeUInt16LE(0x21, 14)
  header.writeUInt32LE(item.crc, 16)
  header.writeUInt32LE(item.compressed.length, 20)
  header.writeUInt32LE(item.size, 24)
  header.writeUInt16LE(item.name.length, 28)
  header.writeUInt32LE(((mode << 16) | (isDir ? 0x10 : 0)) >>> 0, 38)
  header.writeUInt32LE(item.offset, 42)
  return Buffer.concat([header, item.name])
}

/** A whole zip archive: local headers and data, the central directory, the end record. */
export function rawZip(entries: RawZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const items: Written[] = []
  let offset = 0
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '')
    const compressed = entry.deflate === true ? zlib.deflateRawSync(data) : data
    const item = {entry, name: Buffer.from(entry.name), crc: crc32(data), size: data.length, compressed, offset}
    const local = Buffer.concat([localHeader(item), compressed])
    parts.push(local)
    items.push(item)
    offset += local.length
  }
  const central = Buffer.concat(items.map(centralHeader))
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(items.length, 8)
  end.writeUInt16LE(items.length, 10)
  end.writeUInt32LE(central.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, central, end])
}
