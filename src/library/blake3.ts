// BLAKE3 through blake3-wasm (SPEC §1 pins 2.1.5: 3.x does not install). One import point,
// so a faster implementation or a worker thread can replace it in one place.
import blake3 from 'blake3-wasm'

export type Blake3Hasher = ReturnType<typeof blake3.createHash>

export function createBlake3(): Blake3Hasher {
  return blake3.createHash()
}

export function blake3Hex(data: string | Uint8Array): string {
  return blake3.hash(data).toString('hex')
}
