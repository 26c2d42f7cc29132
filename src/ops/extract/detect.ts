// Which kind of archive a file is, read from its first bytes and never from its name:
// a game's `.eti` archives may be tar, tar.gz or zip whatever they are called.
import fs from 'node:fs/promises'
import {ioError} from '../../errors.js'
import {unknownFormat} from './archive-errors.js'

export type ArchiveFormat = 'tar' | 'tar.gz' | 'zip'

const HEADER_SIZE = 512
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b])
const ZIP_LOCAL_MAGIC = Buffer.from('PK\x03\x04', 'latin1')
const ZIP_EMPTY_MAGIC = Buffer.from('PK\x05\x06', 'latin1')
const USTAR_MAGIC = Buffer.from('ustar', 'latin1')
const USTAR_OFFSET = 257
const CHECKSUM_OFFSET = 148
const CHECKSUM_SIZE = 8

function startsWith(header: Buffer, magic: Buffer, offset = 0): boolean {
  return header.length >= offset + magic.length && header.subarray(offset, offset + magic.length).equals(magic)
}

/** The checksum stored in a tar header (octal, NUL- or space-terminated), or undefined. */
function storedChecksum(header: Buffer): number | undefined {
  const field = header.subarray(CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_SIZE).toString('latin1')
  const digits = field.replace(/[\0 ]+$/, '').replace(/^ +/, '')
  return /^[0-7]{1,7}$/.test(digits) ? Number.parseInt(digits, 8) : undefined
}

/** True when the first 512 bytes are an old-style (pre-POSIX) tar header with a valid checksum. */
function hasTarChecksum(header: Buffer): boolean {
  if (header.length < HEADER_SIZE) return false
  const stored = storedChecksum(header)
  if (stored === undefined) return false
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < HEADER_SIZE; i++) {
    const inField = i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_SIZE
    const byte = inField ? 0x20 : (header[i] ?? 0)
    unsigned += byte
    signed += byte > 0x7f ? byte - 0x100 : byte
  }
  return stored === unsigned || stored === signed
}

/** Format from the first bytes (not the file name); undefined when none of tar, tar.gz, zip. */
export function detectFormat(header: Buffer): ArchiveFormat | undefined {
  if (startsWith(header, GZIP_MAGIC)) return 'tar.gz'
  if (startsWith(header, ZIP_LOCAL_MAGIC) || startsWith(header, ZIP_EMPTY_MAGIC)) return 'zip'
  if (startsWith(header, USTAR_MAGIC, USTAR_OFFSET)) return 'tar'
  return hasTarChecksum(header) ? 'tar' : undefined
}

async function readHeader(file: string): Promise<Buffer> {
  try {
    const handle = await fs.open(file, 'r')
    try {
      const buffer = Buffer.alloc(HEADER_SIZE)
      const {bytesRead} = await handle.read(buffer, 0, HEADER_SIZE, 0)
      return buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw ioError('read archive', file, error)
  }
}

/** Reads the first 512 bytes of `file`; archive_corrupt when the format is unknown or it is empty. */
export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
  const header = await readHeader(file)
  if (header.length === 0) throw unknownFormat(file, 'is empty')
  const format = detectFormat(header)
  if (format === undefined) throw unknownFormat(file, 'is not an archive lanspread can read')
  return format
}
